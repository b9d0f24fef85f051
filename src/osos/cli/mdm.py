"""Data management commands: ``osos import readings|profile``, ``ingest``, ``report``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from osos import exports
from osos.cli.util import command_runtime, echo_json, fail, local_time_option
from osos.errors import ImportFailed, InvalidInput, NotFound, OsosError
from osos.mdm import export, imports, service
from osos.mdm.determinants import refresh_dirty, store_period
from osos.mdm.imports import ingest_capture
from osos.mdm.model import REGISTERS
from osos.mdm.service import parse_period
from osos.mdm.upkeep import ValidationHook
from osos.mdm.vee import estimate_meter, list_findings, validate_meter
from osos.protocol.iec62056_21.adapter import capture_readings
from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models import Meter
from osos.timeutil import local_iso

app = typer.Typer()  # top-level commands (ingest)
import_app = typer.Typer()  # merged into `osos import`
report_app = typer.Typer(help="Reports: monthly billing determinants.")


def _import(kind: str, file: Path) -> None:

    try:
        with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
            if kind == "readings":
                report = imports.import_readings(session, file, limits=runtime.settings.validation)
            else:
                report = imports.import_profile(session, file, limits=runtime.settings.validation)
    except ImportFailed as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        raise fail(f"{file}: {exc}", 1) from exc
    typer.echo(
        f"{file}: {report.rows} rows; readouts +{report.readouts_created}, "
        f"values +{report.values}, "
        f"intervals +{report.intervals_inserted} (unchanged {report.intervals_unchanged}, "
        f"conflicts {report.conflicts}, estimates replaced {report.replaced_estimates})"
    )


@import_app.command("readings")
def import_readings(
    file: Path = typer.Argument(..., help="CSV (UTF-8, ; or ,) or .xlsx: one register a row."),
) -> None:
    """Import register readings: meter_serial, time, obis, value, unit, value_time."""
    _import("readings", file)


@import_app.command("profile")
def import_profile(
    file: Path = typer.Argument(..., help="CSV (UTF-8, ; or ,) or .xlsx: one interval a row."),
) -> None:
    """Import 15-minute load profiles: meter_serial, time (interval end), one column per OBIS."""
    _import("profile", file)


@app.command("ingest")
def ingest(
    file: Path = typer.Argument(..., help="A captured readout or P.01 response (raw bytes)."),
    meter: str = typer.Option(..., "--meter", help="Serial number of the meter read."),
    read_at: str = typer.Option(
        "", "--read-at", help="When it was read (local ISO 8601); default now."
    ),
) -> None:
    """Store a hand-held or optical-probe capture exactly as the head-end would."""

    if not file.exists():
        raise fail(f"{file}: no such file")
    when = local_time_option(read_at, "--read-at")
    try:
        raw = file.read_bytes()
        capture = capture_readings(raw)
        with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
            summary = ingest_capture(
                session, raw, capture, meter, read_at=when, limits=runtime.settings.validation
            )
    except NotFound as exc:
        raise fail(str(exc)) from exc
    except OsosError as exc:
        raise fail(f"{file}: {exc}", 1) from exc
    p = summary.profile
    typer.echo(
        f"{file}: readout {summary.readout_id} ({'new' if summary.created else 'already stored'}), "
        f"values +{summary.values}, intervals +{p.inserted} (unchanged {p.unchanged}, "
        f"conflicts {p.conflicts}, estimates replaced {p.replaced_estimates})"
    )
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)


def _print_report(data: dict[str, Any]) -> None:

    flag = "  (TAHMİNİ / estimated)" if data["estimated"] else ""
    typer.echo(f"Hizmet noktası {data['service_point']} — dönem {data['period']}{flag}")
    for seg in data["segments"]:
        typer.echo(
            f"  sayaç {seg['meter_serial']}  çarpan {seg['multiplier']}  "
            f"{seg['from']} → {seg['to']}"
        )
    typer.echo(f"  {'register':<8} {'ay sonu endeksi':>18} {'tüketim':>18}")
    for obis in REGISTERS:
        index = data["month_end_index"][obis] or "-"
        used = data["consumption"][obis] or "-"
        typer.echo(f"  {obis:<8} {index:>18} {used:>18}")
    for kind, tr in (("inductive", "endüktif"), ("capacitive", "kapasitif")):
        verdict = "AŞILDI" if data[f"{kind}_exceeded"] else "uygun"
        typer.echo(
            f"  {tr:<10} %{data[f'{kind}_ratio'] or '-'} (sınır %{data[f'{kind}_limit'] or '-'}) "
            f"{verdict}"
        )
    for obis, demand in data["max_demand"].items():
        shown = "-" if demand is None else f"{demand['value']} kW at {demand['time']}"
        typer.echo(f"  max demand {obis}: {shown}")


@report_app.command("monthly")
def monthly(
    period: str = typer.Option(..., "--period", help="Month as YYYY-MM."),
    service_point: str = typer.Option(
        "", "--service-point", help="Service point number (hizmet noktası no)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON interchange shape."),
    all_points: bool = typer.Option(False, "--all", help="Every service point."),
    fmt: str = typer.Option("json", "--format", help="With --all: xlsx, csv or json."),
    output: Path | None = typer.Option(None, "--output", help="With --all: file to write."),
) -> None:
    """Monthly billing determinants: month-end indexes, consumption, ratios, max demand."""

    try:
        service.parse_period(period)
    except InvalidInput as exc:
        raise fail(f"--period: {exc}") from exc
    if all_points == bool(service_point):
        raise fail("give either --service-point NO or --all")
    if all_points and fmt not in ("xlsx", "csv", "json"):
        raise fail(f"--format must be xlsx, csv or json, got {fmt!r}")
    if all_points and fmt == "xlsx" and output is None:
        raise fail("--format xlsx needs --output FILE")
    with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
        if not all_points:
            try:
                report = service.monthly_report(session, service_point, period, runtime.settings)
            except NotFound as exc:
                raise fail(str(exc)) from exc
            if as_json:
                echo_json(report.to_json())
            else:
                _print_report(report.to_json())
            return

        def progress(done: int, total: int) -> None:
            typer.echo(f"\r{done:,} / {total:,} service points", err=True, nl=False)

        reports = service.monthly_all(session, period, runtime.settings, progress=progress)
        if fmt == "json":
            if output is None:
                count = export.write_json(reports, sys.stdout)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = export.write_json(reports, out)
        elif output is None:  # csv to standard output
            count = exports.write(export.monthly_table(reports), fmt, sys.stdout.buffer)
        else:
            with output.open("wb") as binary:
                count = exports.write(export.monthly_table(reports), fmt, binary)
        typer.echo(f"\n{count} service points, {period}", err=True)


@report_app.command("refresh")
def refresh(
    period: str = typer.Option(
        "", "--period", help="Also compute and store every service point of this month."
    ),
) -> None:
    """Recompute the stored determinants of every month whose data changed."""

    if period:
        try:
            parse_period(period)
        except InvalidInput as exc:
            raise fail(f"--period: {exc}") from exc
    with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
        stored = store_period(session, period, runtime.settings) if period else 0
        count = refresh_dirty(session, runtime.settings)
    if period:
        typer.echo(f"{stored} service point(s) stored for {period}")
    typer.echo(f"{count} month(s) recomputed")


def _meters_month(
    session: Any, serial: str, every: bool, period: str
) -> tuple[list[tuple[int, str]], Any, Any]:
    from sqlalchemy import select

    if every == bool(serial):
        raise fail("give either --meter SERIAL or --all")
    try:
        start, end = parse_period(period)
    except InvalidInput as exc:
        raise fail(f"--period: {exc}") from exc
    statement = select(Meter.id, Meter.serial).order_by(Meter.serial)
    if serial:
        statement = statement.where(Meter.serial == serial)
    meters = [(meter_id, found) for meter_id, found in session.execute(statement)]
    if not meters and serial:
        raise fail(f"unknown meter {serial!r}")
    return meters, start, end


def _run_for_meters(meter: str, every: bool, period: str, work: Any) -> list[tuple[str, Any]]:
    """``work(runtime, session, meter_id, start, end)`` for one meter's month or every meter's,
    in one transaction (all or nothing), with progress for the long run."""
    with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
        meters, start, end = _meters_month(session, meter, every, period)
        results = []
        for n, (meter_id, serial) in enumerate(meters, start=1):
            results.append((serial, work(runtime, session, meter_id, start, end)))
            if every and n % 100 == 0:
                typer.echo(f"\r{n:,} / {len(meters):,} meters", err=True, nl=False)
        return results


@app.command("validate")
def validate_cmd(
    period: str = typer.Option(..., "--period", help="Month as YYYY-MM."),
    meter: str = typer.Option("", "--meter", help="Serial number of the meter."),
    every: bool = typer.Option(False, "--all", help="Every meter."),
) -> None:
    """Validate a month of one meter or all and store the findings (data is never changed)."""

    def work(runtime: Runtime, session: Any, meter_id: int, start: Any, end: Any) -> Any:
        return validate_meter(session, meter_id, start, end, limits=runtime.settings.validation)

    results = _run_for_meters(meter, every, period, work)
    total = 0
    for serial, findings in results:
        total += len(findings)
        for f in findings:
            typer.echo(f"{serial:<12} {f.code.value:<20} {f.register or '-':<6} "
                       f"{local_iso(f.start)} → {local_iso(f.end)}  {f.detail}")  # fmt: skip
    typer.echo(f"{total} finding(s) for {len(results)} meter(s) in {period}")


@app.command("upkeep")
def upkeep_cmd() -> None:
    """Validate what arrived since the last run and recompute its months (the head-end's hook)."""

    totals = [0, 0, 0, 0]
    with command_runtime(upgrade=True) as runtime:
        hook = ValidationHook()  # the limits in force; the newest reads wait to settle
        while True:
            summary = hook.run(runtime, runtime.clock.now())
            counts = (summary.readouts, summary.findings, summary.months_recomputed,
                      summary.errors)  # fmt: skip
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
            if not summary.behind:
                break
            typer.echo(f"\r{totals[0]:,} readouts, {totals[2]:,} months …", err=True, nl=False)
    typer.echo(
        f"{totals[0]} new readout(s) validated, {totals[1]} new finding(s), "
        f"{totals[2]} month(s) recomputed, {totals[3]} error(s)"
    )
    if totals[3]:
        raise typer.Exit(1)


@app.command("estimate")
def estimate_cmd(
    period: str = typer.Option(..., "--period", help="Month as YYYY-MM."),
    meter: str = typer.Option("", "--meter", help="Serial number of the meter."),
    every: bool = typer.Option(False, "--all", help="Every meter."),
) -> None:
    """Store estimates for missing intervals of a month (flagged as estimated)."""

    def work(runtime: Runtime, session: Any, meter_id: int, start: Any, end: Any) -> int:
        return estimate_meter(session, meter_id, start, end, actor="cli")

    results = _run_for_meters(meter, every, period, work)
    total = sum(count for _, count in results)
    typer.echo(f"{total} interval(s) estimated for {len(results)} meter(s) in {period}")


@report_app.command("findings")
def findings_cmd(
    meter: str = typer.Option("", "--meter", help="Only this meter (serial number)."),
    state: str = typer.Option("open", "--state", help="open, resolved or all."),
    code: str = typer.Option("", "--code", help="Only this finding code."),
) -> None:
    """Validation findings for the operators, newest first."""

    if state not in ("open", "resolved", "all"):
        raise fail(f"--state must be open, resolved or all, got {state!r}")
    with command_runtime(upgrade=True) as runtime, transaction(runtime.sessions) as session:
        views = list_findings(
            session,
            state=None if state == "all" else state,
            meter_serial=meter or None,
            code=code or None,
        )
    for v in views:
        typer.echo(f"#{v.id:<6} {v.state:<8} {v.meter_serial:<12} {v.code:<20} "
                   f"{local_iso(v.start)} → {local_iso(v.end)}  {v.detail}")  # fmt: skip
    typer.echo(f"{len(views)} finding(s)")
