"""Imports and the report command, end to end through the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from osos.cli import app
from osos.runtime import Runtime
from osos.store import db
from osos.store.models import Readout, ReadoutValue, profile_intervals
from osos.store.raw import raw_of
from tests.factories import Q, add_meter, add_service_point, install, local, standard_step

runner = CliRunner()


def _setup(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "2001")
        install(s, sp, add_meter(s, "IM1"), local(2026, 1, 1))


def _profile_csv(path: Path) -> Path:
    """October 2026 of IM1 in the hand-computed pattern, ';'-separated, local interval ends."""
    lines = ["meter_serial;time;1.8.0;2.8.0;5.8.0;8.8.0"]
    values = {"1.8.0": Decimal("1000.000"), "2.8.0": Decimal(0), "5.8.0": Decimal("100.000"),
              "8.8.0": Decimal("50.000")}  # fmt: skip
    t = local(2026, 10, 1)
    while True:
        stamp = t.astimezone(local(2026, 1, 1).tzinfo).isoformat()
        from osos.timeutil import local_iso

        stamp = local_iso(t) or stamp
        lines.append(
            f"IM1;{stamp};{values['1.8.0']};{values['2.8.0']};{values['5.8.0']};{values['8.8.0']}"
        )
        if t >= local(2026, 11, 1):
            break
        for obis, delta in standard_step(t).items():
            if obis in values:
                values[obis] += delta
        t += Q
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_profile_then_report(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    path = _profile_csv(tmp_path / "profile.csv")
    first = runner.invoke(app, ["import", "profile", str(path)])
    assert first.exit_code == 0, first.output
    assert "intervals +2977" in first.output
    again = runner.invoke(app, ["import", "profile", str(path)])
    assert again.exit_code == 0, again.output
    assert "intervals +0" in again.output and "readouts +0" in again.output
    with db.transaction(runtime.sessions) as s:
        raw = raw_of(s, s.execute(select(Readout.id)).scalar_one())
        assert raw is not None and raw.raw.endswith(path.read_bytes())
    out = runner.invoke(
        app, ["report", "monthly", "--service-point", "2001", "--period", "2026-10", "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["consumption"]["1.8.0"] == "22506.000"
    assert data["consumption"]["1.8.2"] == "9300.000"
    table = runner.invoke(
        app, ["report", "monthly", "--service-point", "2001", "--period", "2026-10"]
    )
    assert table.exit_code == 0 and "22506.000" in table.output
    csv_out = tmp_path / "all.csv"
    every = runner.invoke(
        app, ["report", "monthly", "--period", "2026-10", "--all", "--format", "csv",
              "--output", str(csv_out)],
    )  # fmt: skip
    assert every.exit_code == 0, every.output
    rows = csv_out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and rows[1].startswith("2001;2026-10;hayır;IM1;30")
    xlsx = tmp_path / "all.xlsx"
    done = runner.invoke(
        app, ["report", "monthly", "--period", "2026-10", "--all", "--format", "xlsx",
              "--output", str(xlsx)],
    )  # fmt: skip
    assert done.exit_code == 0 and xlsx.stat().st_size > 0


def test_invalid_readings_import_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    path = tmp_path / "readings.csv"
    path.write_text(
        "meter_serial,time,obis,value,unit,value_time\n"
        "IM1,2026-11-01 00:05,1.8.0*1,1750.200,kWh,\n"
        "NOPE,2026-11-01 00:05,1.8.0,1.0,kWh,\n"
        "IM1,yesterday,1.8.0,1.0,kWh,\n"
        "IM1,2026-11-01 00:05,1.6.0*1,abc,kW,2026-10-15 18:15\n"
        "IM1,2026-11-01 00:05,1.8.0*1,1750.200,kWh,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "readings", str(path)])
    assert result.exit_code == 1
    assert "row 3, column meter_serial: unknown meter 'NOPE'" in result.output
    assert "row 4, column time" in result.output
    assert "row 5, column value" in result.output
    assert "row 6: 1.8.0*1 of IM1" in result.output
    with db.transaction(runtime.sessions) as s:
        assert s.execute(select(func.count()).select_from(ReadoutValue)).scalar_one() == 0


def test_readings_import_is_idempotent(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    path = tmp_path / "readings.csv"
    path.write_text(
        "meter_serial;time;obis;value;unit;value_time\n"
        "IM1;2026-11-01 00:05;1.8.0*1;1750.200;kWh;\n"
        "IM1;2026-11-01 00:05;1.6.0*1;2.100;kW;2026-10-15 18:15\n"
        "IM1;2026-11-02 00:05;1.8.0;1774.400;kWh;\n",
        encoding="utf-8",
    )
    for expected in ("readouts +2, values +3", "readouts +0, values +0"):
        result = runner.invoke(app, ["import", "readings", str(path)])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    with db.transaction(runtime.sessions) as s:
        rows = s.execute(
            select(ReadoutValue.obis, ReadoutValue.number, ReadoutValue.value_time).order_by(
                ReadoutValue.id
            )
        ).all()
        assert [r[0] for r in rows] == ["1.8.0*1", "1.6.0*1", "1.8.0"]
        assert rows[1][1] == Decimal("2.100") and rows[1][2] == local(2026, 10, 15, 18, 15)
        assert s.execute(select(func.count()).select_from(profile_intervals)).scalar_one() == 0


def test_report_errors_exit_2(runtime: Runtime) -> None:
    _setup(runtime)
    unknown = runner.invoke(
        app, ["report", "monthly", "--service-point", "X", "--period", "2026-10"]
    )
    assert unknown.exit_code == 2 and "unknown service point 'X'" in unknown.output
    bad = runner.invoke(
        app, ["report", "monthly", "--service-point", "2001", "--period", "2026-13"]
    )
    assert bad.exit_code == 2 and "period" in bad.output


def test_ingest_unknown_meter(runtime: Runtime, tmp_path: Path) -> None:
    capture = tmp_path / "readout.txt"
    capture.write_bytes(b"/MSY5IM1\r\n\x021.8.0(001234.567*kWh)\r\n!\r\n\x03\x00")
    missing = runner.invoke(app, ["ingest", str(capture), "--meter", "NOPE"])
    assert missing.exit_code == 2 and "unknown meter 'NOPE'" in missing.output


def test_ingest_capture(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    capture = tmp_path / "readout.txt"
    capture.write_bytes(
        b"/MSY5IM1\r\n\x021.8.0(001234.567*kWh)\r\n1.8.0*1(001200.000*kWh)\r\n!\r\n\x03\x00"
    )
    result = runner.invoke(
        app, ["ingest", str(capture), "--meter", "IM1", "--read-at", "2026-11-01 00:05"]
    )
    assert result.exit_code == 0, result.output
    with db.transaction(runtime.sessions) as s:
        raw = raw_of(s, s.execute(select(Readout.id)).scalar_one())
        assert raw is not None and raw.raw == capture.read_bytes()


def test_xlsx_profile_import_validates_what_it_brought(runtime: Runtime, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from osos.mdm.vee import list_findings

    _setup(runtime)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["meter_serial", "time", "1.8.0", "1.6.0"])
    sheet.append(["IM1", "2026-10-01 00:15", "100.000", "1.2"])
    sheet.append(["IM1", "2026-10-01 00:30", "100.300", "1.2"])
    sheet.append(["IM1", "2026-10-01 01:00", "100.250", "1.0"])  # 00:45 missing, backwards
    path = tmp_path / "profile.xlsx"
    book.save(path)
    result = runner.invoke(app, ["import", "profile", str(path)])
    assert result.exit_code == 0, result.output
    assert "intervals +3" in result.output
    with db.transaction(runtime.sessions) as s:
        found = {(f.code, f.register) for f in list_findings(s, meter_serial="IM1")}
        stored = s.execute(
            select(profile_intervals.c.r1_8_0, profile_intervals.c.r1_6_0).order_by(
                profile_intervals.c.end_at
            )
        ).all()
    assert found == {("missing_intervals", ""), ("index_backwards", "1.8.0")}
    assert [tuple(r) for r in stored] == [(100000, 1200), (100300, 1200), (100250, 1000)]


def test_profile_import_refuses_bad_rows(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    path = tmp_path / "profile.csv"
    path.write_text(
        "meter_serial,time,1.8.0,9.9.9\nIM1,2026-10-01 00:15,1.0001,\nIM1,2026-10-01 00:20,1.0,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "profile", str(path)])
    assert result.exit_code == 1
    assert "row 1, column 9.9.9: not a profile channel" in result.output
    path.write_text(
        "meter_serial,time,1.8.0\nIM1,2026-10-01 00:15,1.0001\nIM1,2026-10-01 00:20,1.0\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "profile", str(path)])
    assert result.exit_code == 1
    assert "row 2, column 1.8.0: 1.0001 has more than three decimals" in result.output
    assert "row 3, column time: 2026-10-01 00:20 is not the end of a 15-minute interval" in (
        result.output
    )
    with db.transaction(runtime.sessions) as s:
        assert s.execute(select(func.count()).select_from(profile_intervals)).scalar_one() == 0


def test_validate_estimate_and_findings_commands(runtime: Runtime, tmp_path: Path) -> None:
    _setup(runtime)
    path = tmp_path / "profile.csv"
    path.write_text(
        "meter_serial;time;1.8.0\nIM1;2026-10-01 00:15;100.000\nIM1;2026-10-01 01:15;101.000\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["import", "profile", str(path)]).exit_code == 0
    listed = runner.invoke(app, ["report", "findings", "--meter", "IM1"])
    assert listed.exit_code == 0 and "missing_intervals" in listed.output
    assert "3 interval(s) missing" in listed.output
    done = runner.invoke(app, ["estimate", "--all", "--period", "2026-10"])
    assert done.exit_code == 0 and "3 interval(s) estimated for 1 meter(s)" in done.output
    checked = runner.invoke(app, ["validate", "--meter", "IM1", "--period", "2026-10"])
    assert checked.exit_code == 0 and "0 finding(s) for 1 meter(s)" in checked.output
    both = runner.invoke(app, ["validate", "--all", "--meter", "IM1", "--period", "2026-10"])
    assert both.exit_code == 2 and "either --meter" in both.output
    bad = runner.invoke(app, ["validate", "--meter", "NOPE", "--period", "2026-10"])
    assert bad.exit_code == 2 and "unknown meter 'NOPE'" in bad.output


def test_refresh_stores_a_whole_month_and_dirty_ones(runtime: Runtime, tmp_path: Path) -> None:
    from osos.store.models.mdm import BillingDeterminant

    _setup(runtime)
    path = _profile_csv(tmp_path / "profile.csv")
    assert runner.invoke(app, ["import", "profile", str(path)]).exit_code == 0
    with db.transaction(runtime.sessions) as s:  # the import marked its months dirty
        dirty = s.execute(select(BillingDeterminant.period, BillingDeterminant.dirty)).all()
        assert ("2026-10", True) in [tuple(r) for r in dirty]
    result = runner.invoke(app, ["report", "refresh", "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "1 service point(s) stored for 2026-10" in result.output
    with db.transaction(runtime.sessions) as s:
        rows = s.execute(select(BillingDeterminant).order_by(BillingDeterminant.period)).scalars()
        by_period = {r.period: r for r in rows}
        assert not any(r.dirty for r in by_period.values())
        data = json.loads(by_period["2026-10"].data or "{}")
        assert data["consumption"]["1.8.0"] == "22506.000"
