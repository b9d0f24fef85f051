"""Registry import on both databases: upsert, idempotence, row-numbered errors, meter changes."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import MetaData, select, text
from typer.testing import CliRunner

from osos import eic
from osos.cli import app
from osos.domain import CommMode, Connection, Generation, OrganisationKind, TariffGroup
from osos.errors import ImportFailed
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models import Installation, Meter, Organisation, ServicePoint, SupplyPeriod
from osos.timeutil import UTC
from tests.conftest import DATA

REGISTRY = DATA / "registry.csv"


def _rows() -> list[dict[str, str]]:
    with REGISTRY.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=";"))


def _write(path: Path, rows: list[dict[str, str]], delimiter: str = ";") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _dump(runtime: Runtime) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every registry table, to compare two database states exactly."""
    meta = MetaData()
    meta.reflect(runtime.engine)
    tables = ["organisations", "service_points", "meters", "installations", "supply_periods"]
    with runtime.engine.connect() as connection:
        return {
            name: sorted(
                connection.execute(text(f"select * from {name}")).all(), key=lambda r: str(r)
            )
            for name in tables
        }


def _import(runtime: Runtime, path: Path, **kwargs: bool) -> object:
    with transaction(runtime.sessions) as session:
        return import_registry(session, path, **kwargs)


def test_example_registry_imports_everything(runtime: Runtime) -> None:
    report = _import(runtime, REGISTRY)
    with runtime.sessions() as session:
        assert session.scalar(
            select(ServicePoint).where(ServicePoint.no == "2000104137")
        ).title == ("Trakya Çelik Haddehanesi A.Ş.")
        sps = session.scalars(select(ServicePoint)).all()
        assert len(sps) == 59
        assert len(session.scalars(select(Meter)).all()) == 60
        steel = next(sp for sp in sps if sp.no == "2000104137")
        assert steel.connection is Connection.TRANSMISSION
        assert steel.balancing_unit is True
        assert steel.installed_power_kva == Decimal("25000")
        assert steel.etso_code is not None and eic.validate(steel.etso_code) is None
        inst = steel.installations[0]
        assert inst.ct_ratio == Decimal("40") and inst.vt_ratio == Decimal("1540")
        assert inst.multiplier == Decimal("61600")
        assert inst.installed_at == dt.datetime(2024, 3, 1, 7, 0, tzinfo=UTC)  # 10:00 local
        meter = inst.meter
        assert meter.comm_mode is CommMode.DIAL_OUT and meter.host == "127.0.0.1"
        assert meter.flag == "MSY" and meter.password and "***" in repr(meter)
        assert meter.password not in repr(meter)
        plants = [sp for sp in sps if sp.generation is Generation.UNLICENSED]
        linked = [sp for sp in sps if sp.linked_generation_id is not None]
        assert len(plants) == 3 and {sp.linked_generation_id for sp in linked} == {
            p.id for p in plants
        }
        assert sum(sp.tariff_group is TariffGroup.LIGHTING for sp in sps) == 2
        assert sum(sp.exchange_point for sp in sps) == 1
        corp = session.scalar(select(Organisation).where(Organisation.name == "Trakya Gıda A.Ş."))
        assert corp is not None and corp.kind is OrganisationKind.CORPORATE
        assert sum(sp.customer_organisation_id == corp.id for sp in sps) == 4
        osb = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.OSB))
        assert osb is not None and sum(sp.osb_organisation_id == osb.id for sp in sps) == 8
        supplies = session.scalars(select(SupplyPeriod)).all()
        assert len(supplies) == 58 and all(p.valid_to is None for p in supplies)
    assert report.meter_changes == 1 and report.ratio_changes == 1  # type: ignore[attr-defined]


def test_reimport_changes_nothing(runtime: Runtime) -> None:
    _import(runtime, REGISTRY)
    before = _dump(runtime)
    report = _import(runtime, REGISTRY)
    assert not report.changed  # type: ignore[attr-defined]
    assert _dump(runtime) == before


def test_history_rows_split_installations(runtime: Runtime) -> None:
    _import(runtime, REGISTRY)
    rows = _rows()
    changed_meter = rows[-2]
    changed_ratio = rows[-1]
    with runtime.sessions() as session:
        sp = session.scalar(
            select(ServicePoint).where(ServicePoint.no == changed_meter["service_point_no"])
        )
        old, new = sp.installations
        assert old.removed_at == new.installed_at == dt.datetime(2026, 9, 15, 8, 30, tzinfo=UTC)
        assert old.meter.serial != new.meter.serial == changed_meter["meter_serial"]
        sp = session.scalar(
            select(ServicePoint).where(ServicePoint.no == changed_ratio["service_point_no"])
        )
        before, after = sp.installations
        assert before.meter_id == after.meter_id
        primary, secondary = _rows()[25]["ct_ratio"].split("/")
        old_ct = Decimal(primary) / Decimal(secondary)
        assert (before.ct_ratio, after.ct_ratio) == (old_ct, Decimal("80"))
        assert str(after.ct_ratio) == "80"
        assert before.removed_at == after.installed_at


def test_meter_swap_in_a_later_file_records_a_meter_change(
    runtime: Runtime, tmp_path: Path
) -> None:
    _import(runtime, REGISTRY)
    row = dict(_rows()[0], meter_serial="99999001", installed_at="2026-11-02T14:00:00+03:00")
    row["removal_index"] = "1.8.0=123456.789 5.8.0=1000"
    row["install_index"] = "1.8.0=0,5 5.8.0=0"
    report = _import(runtime, _write(tmp_path / "swap.csv", [row]))
    assert report.meter_changes == 1  # type: ignore[attr-defined]
    with runtime.sessions() as session:
        sp = session.scalar(select(ServicePoint).where(ServicePoint.no == row["service_point_no"]))
        old, new = sp.installations
        assert old.removed_at == dt.datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
        assert old.removal_index == '{"1.8.0": "123456.789", "5.8.0": "1000"}'
        assert new.meter.serial == "99999001" and new.removed_at is None
        assert new.install_index == '{"1.8.0": "0.5", "5.8.0": "0"}'


def test_bad_rows_are_reported_and_nothing_is_imported(runtime: Runtime, tmp_path: Path) -> None:
    rows = _rows()[:5]
    rows[1] = dict(rows[1], ct_ratio="abc", flag="MS")
    rows[3] = dict(rows[3], installed_at="31.12.2025", etso_code="40Z000001032700X")
    path = _write(tmp_path / "bad.csv", rows, delimiter=",")
    with pytest.raises(ImportFailed) as failure, transaction(runtime.sessions) as session:
        import_registry(session, path)
    errors = failure.value.errors
    assert any(e.startswith("row 3, column ct_ratio: not a number") for e in errors)
    assert any(e.startswith("row 3, column flag: a FLAG is three letters") for e in errors)
    assert any(e.startswith("row 5, column installed_at: not an ISO 8601 time") for e in errors)
    assert any(e.startswith("row 5, column etso_code: check character") for e in errors)
    assert len(errors) == 4
    with runtime.sessions() as session:
        assert session.scalars(select(ServicePoint)).all() == []


def test_skip_invalid_imports_the_rest(runtime: Runtime, tmp_path: Path) -> None:
    rows = _rows()[:5]
    rows[2] = dict(rows[2], meter_serial="")
    path = _write(tmp_path / "partly.csv", rows)
    report = _import(runtime, path, skip_invalid=True)
    assert report.imported_rows == 4 and report.skipped_rows == 1  # type: ignore[attr-defined]
    assert report.errors == ["row 4, column meter_serial: required but empty"]  # type: ignore[attr-defined]
    with runtime.sessions() as session:
        assert len(session.scalars(select(ServicePoint)).all()) == 4


def test_missing_required_column_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "ct_ratio"} for r in _rows()[:2]]
    with pytest.raises(ImportFailed) as failure, transaction(runtime.sessions) as session:
        import_registry(session, _write(tmp_path / "nocol.csv", rows))
    assert failure.value.errors == ["row 1: required column(s) missing: ct_ratio"]


def test_xlsx_file_imports_like_csv(runtime: Runtime, tmp_path: Path) -> None:
    rows = _rows()[:3]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    workbook.save(tmp_path / "registry.xlsx")
    report = _import(runtime, tmp_path / "registry.xlsx")
    assert report.imported_rows == 3  # type: ignore[attr-defined]
    with runtime.sessions() as session:
        titles = {sp.title for sp in session.scalars(select(ServicePoint))}
    assert titles == {r["title"] for r in rows}


def test_cli_import_twice_and_bad_file(runtime: Runtime, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["import", "registry", str(REGISTRY)])
    assert first.exit_code == 0, first.output
    assert "61 of 61 rows imported" in first.output
    second = runner.invoke(app, ["import", "registry", str(REGISTRY)])
    assert "nothing changed" in second.output
    bad = _write(tmp_path / "bad.csv", [dict(_rows()[0], vt_ratio="0")])
    result = runner.invoke(app, ["import", "registry", str(bad)])
    assert result.exit_code == 1
    assert "row 2, column vt_ratio: a ratio cannot be zero" in result.output


def test_installed_before_current_start_is_an_error(runtime: Runtime, tmp_path: Path) -> None:
    _import(runtime, REGISTRY)
    row = dict(_rows()[0], meter_serial="77777777", installed_at="2023-01-01T00:00")
    with pytest.raises(ImportFailed) as failure, transaction(runtime.sessions) as session:
        import_registry(session, _write(tmp_path / "early.csv", [row]))
    assert failure.value.errors[0].startswith("row 2, column installed_at: ")


def test_eic_check_character() -> None:
    assert eic.validate("40Z000001032738N") is None
    assert eic.validate("10YTR-TEIAS----W") is None
    assert "check character" in (eic.validate("40Z000001032738M") or "")
    assert "16 characters" in (eic.validate("40Z0001") or "")


def test_installation_rows_are_exact(runtime: Runtime) -> None:
    _import(runtime, REGISTRY)
    with runtime.sessions() as session:
        ratios = {i.ct_ratio for i in session.scalars(select(Installation))}
    assert Decimal("20") in ratios and all(isinstance(r, Decimal) for r in ratios)
    assert all("E" not in str(r) for r in ratios)  # stored and shown as plain numbers


def test_the_meters_own_system_title_is_imported_and_names_one_meter(
    runtime: Runtime, tmp_path: Path
) -> None:
    """``dlms_meter_system_title`` (the meter's, found in its pushes) is kept apart from
    ``dlms_system_title`` (the client's); one title cannot name two meters."""
    head = (
        "service_point_no;meter_serial;flag;ct_ratio;vt_ratio;installed_at;protocol;"
        "dlms_system_title;dlms_meter_system_title\n"
    )
    path = tmp_path / "titles.csv"
    path.write_text(
        head + "SP1;D1;MSY;1;1;2025-01-01T00:00;dlms;4F534F5300000001;4D4D 4D00 00BC 614E\n",
        encoding="utf-8",
    )
    with transaction(runtime.sessions) as session:
        import_registry(session, path)
    with runtime.sessions() as session:
        meter = session.scalars(select(Meter).where(Meter.serial == "D1")).one()
        assert meter.dlms_system_title == "4f534f5300000001"
        assert meter.dlms_meter_system_title == "4d4d4d0000bc614e"
    short = tmp_path / "short.csv"
    short.write_text(head + "SP3;D3;MSY;1;1;2025-01-01T00:00;dlms;;4d4d4d00\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failure, transaction(runtime.sessions) as session:
        import_registry(session, short)
    assert failure.value.errors == ["row 2, column dlms_meter_system_title: 16 hex digits expected"]
    clash = tmp_path / "clash.csv"
    clash.write_text(
        head + "SP2;D2;MSY;1;1;2025-01-01T00:00;dlms;;4d4d4d0000bc614e\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failure, transaction(runtime.sessions) as session:
        import_registry(session, clash)
    assert failure.value.errors == [
        "row 2, column dlms_meter_system_title: system title 4d4d4d0000bc614e is meter D1's already"
    ]
