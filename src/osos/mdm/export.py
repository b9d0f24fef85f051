"""Monthly determinants as files people open: JSON, CSV (``;``, Excel-friendly) and XLSX."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from osos.mdm.billing import MonthlyReport
from osos.mdm.model import REGISTERS

HEADERS: tuple[str, ...] = (
    "Hizmet Noktası No",
    "Dönem",
    "Tahmini",
    "Sayaç Seri No",
    "Çarpan",
    *(f"Ay Sonu Endeksi {o}" for o in REGISTERS),
    *(f"Tüketim {o}" for o in REGISTERS),
    "Endüktif %",
    "Kapasitif %",
    "Endüktif Sınır %",
    "Kapasitif Sınır %",
    "Endüktif Aşım",
    "Kapasitif Aşım",
    "Max Demand 1.6.0 kW",
    "Max Demand 1.6.0 Zamanı",
    "Max Demand 2.6.0 kW",
    "Max Demand 2.6.0 Zamanı",
)


def flat_row(data: dict[str, Any]) -> list[Any]:
    """One report's JSON as a row under :data:`HEADERS` (text numbers stay exact)."""
    segments = data["segments"]
    last = segments[-1] if segments else {}
    demand = data["max_demand"]
    row: list[Any] = [
        data["service_point"],
        data["period"],
        "evet" if data["estimated"] else "hayır",
        " / ".join(s["meter_serial"] for s in segments),
        last.get("multiplier"),
        *(data["month_end_index"][o] for o in REGISTERS),
        *(data["consumption"][o] for o in REGISTERS),
        data["inductive_ratio"],
        data["capacitive_ratio"],
        data["inductive_limit"],
        data["capacitive_limit"],
        "evet" if data["inductive_exceeded"] else "hayır",
        "evet" if data["capacitive_exceeded"] else "hayır",
    ]
    for obis in ("1.6.0", "2.6.0"):
        d = demand.get(obis)
        row += [None, None] if d is None else [d["value"], d["time"]]
    return row


def write_json(reports: Iterable[MonthlyReport], out: IO[str]) -> int:
    count = 0
    out.write("[")
    for report in reports:
        out.write(("," if count else "") + "\n" + json.dumps(report.to_json(), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def write_csv(reports: Iterable[MonthlyReport], out: IO[str]) -> int:
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    count = 0
    for report in reports:
        writer.writerow(["" if v is None else v for v in flat_row(report.to_json())])
        count += 1
    return count


def write_xlsx(reports: Iterable[MonthlyReport], path: Path) -> int:
    """Numbers go in as text: Excel's doubles would round exact kWh values."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("Aylık")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, HEADERS, bold)
        count = 0
        for count, report in enumerate(reports, start=1):
            sheet.write_row(count, 0, ["" if v is None else v for v in flat_row(report.to_json())])
        sheet.freeze_panes(1, 1)
    finally:
        workbook.close()
    return count
