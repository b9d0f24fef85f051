"""Monthly determinants as files people open: JSON, and CSV or XLSX through :mod:`osos.exports`
(numbers as numbers, times as local date-times, read and written one report at a time)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from osos.exports import Cell, Column, Table, When
from osos.mdm.billing import MonthlyReport
from osos.mdm.model import REGISTERS

HEADERS: tuple[Column, ...] = (
    Column("Hizmet Noktası No"),
    Column("Dönem"),
    Column("Tahmini"),
    Column("Sayaç Seri No"),
    Column("Çarpan"),
    *(Column(f"Ay Sonu Endeksi {o}", 3) for o in REGISTERS),
    *(Column(f"Tüketim {o}", 3) for o in REGISTERS),
    Column("Endüktif %", 2),
    Column("Kapasitif %", 2),
    Column("Endüktif Sınır %", 2),
    Column("Kapasitif Sınır %", 2),
    Column("Endüktif Aşım"),
    Column("Kapasitif Aşım"),
    Column("Max Demand 1.6.0 kW", 3),
    Column("Max Demand 1.6.0 Zamanı"),
    Column("Max Demand 2.6.0 kW", 3),
    Column("Max Demand 2.6.0 Zamanı"),
)


def _yes(flag: bool) -> str:
    return "evet" if flag else "hayır"


def row_of(report: MonthlyReport) -> Sequence[Cell]:
    """One report as a row under :data:`HEADERS`: exact numbers, local times."""
    segments = report.segments
    r = report.reactive
    row: list[Cell] = [
        report.service_point,
        report.period,
        _yes(report.estimated),
        " / ".join(s.meter_serial for s in segments),
        segments[-1].multiplier if segments else None,
    ]
    for o in REGISTERS:
        index = report.month_end_index.get(o)
        row.append(None if index is None else index.decimal)
    row += [report.consumption.get(o) for o in REGISTERS]
    row += [r.inductive_ratio, r.capacitive_ratio, r.inductive_limit, r.capacitive_limit]
    row += [_yes(r.inductive_exceeded), _yes(r.capacitive_exceeded)]
    for obis in ("1.6.0", "2.6.0"):
        d = report.max_demand.get(obis)
        row += [None, None] if d is None else [d.value, When(d.time)]
    return row


def monthly_table(reports: Iterable[MonthlyReport]) -> Table:
    """Every report as one row of a sheet (the reports are consumed as the file is written)."""
    rows: Iterator[Sequence[Cell]] = (row_of(r) for r in reports)
    return Table("Aylık", HEADERS, rows, banner=False)


def write_json(reports: Iterable[MonthlyReport], out: IO[str]) -> int:
    count = 0
    out.write("[")
    for report in reports:
        out.write(("," if count else "") + "\n" + json.dumps(report.to_json(), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count
