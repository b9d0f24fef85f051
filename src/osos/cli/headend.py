"""Head-end commands: ``osos headend`` (read on schedule), ``osos read`` (one meter now),
``osos comm-status`` (who answers and who does not), ``osos plans list|set``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal

import typer
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from osos import audit
from osos.app import open_runtime
from osos.app.headend import serve_headend
from osos.errors import Conflict, InvalidInput, NotFound
from osos.headend.commlog import comm_status
from osos.headend.config import HeadendConfig, MeterReadReport
from osos.headend.plans import PURPOSES, SERVICE_CLASSES
from osos.headend.scheduler import Scheduler
from osos.headend.service import parse_listen, wait_for_schema
from osos.runtime import Runtime
from osos.store.models.headend import ReadPlan
from osos.timeutil import local_iso, parse_local, to_local
from osos.transport.tcp import install_uvloop

app = typer.Typer()


def _logging(verbose: bool, *, quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(2)


def _runtime() -> Runtime:
    return open_runtime()


@app.command("headend")
def headend(
    once: bool = typer.Option(False, "--once", help="Run one round of due reads, then exit."),
    concurrency: int = typer.Option(200, "--concurrency", min=1, help="Sessions at once."),
    listen: str | None = typer.Option(
        None, "--listen", help="Accept dial-in modems on HOST:PORT (greeting ID:<serial>)."
    ),
    tick: float = typer.Option(5.0, "--tick", min=0.1, help="Seconds between ticks."),
    plan_every: float = typer.Option(
        60.0,
        "--plan-every",
        min=0.1,
        help="Seconds between planning rounds (plans become jobs, dead workers are found).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every protocol step."),
) -> None:
    """Read the meters on schedule (plans, jobs, retries) until Ctrl-C."""
    _logging(verbose)
    if install_uvloop():
        logging.getLogger(__name__).info("using uvloop")
    if listen is not None:
        try:
            parse_listen(listen)
        except InvalidInput as exc:
            raise _fail(str(exc)) from exc
    runtime = _runtime()
    try:
        if asyncio.run(wait_for_schema(runtime)) is None:
            raise _fail("database not ready (no schema); run 'osos db upgrade' first")
        if once:
            config = HeadendConfig(concurrency=concurrency)
            reports = asyncio.run(Scheduler(runtime, config=config).run_once())
            ok = sum(r.outcome == "ok" for r in reports)
            typer.echo(f"{len(reports)} meter(s) read: {ok} ok, {len(reports) - ok} not ok")
            return
        config = HeadendConfig(plan_every=dt.timedelta(seconds=plan_every))
        asyncio.run(
            _serve(runtime, concurrency=concurrency, listen=listen, tick=tick, config=config)
        )
    except InvalidInput as exc:
        raise _fail(str(exc)) from exc
    except (OperationalError, ProgrammingError) as exc:
        raise _fail(f"database not ready ({exc.orig}); run 'osos db upgrade' first") from exc
    finally:
        runtime.close()
        asyncio.set_event_loop_policy(None)  # uvloop's policy is process-global: put it back


async def _serve(
    runtime: Runtime,
    *,
    concurrency: int,
    listen: str | None,
    tick: float,
    config: HeadendConfig,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    logging.getLogger(__name__).info(
        "head-end running (concurrency %d%s); Ctrl-C stops",
        concurrency,
        f", dial-in on {listen}" if listen else "",
    )
    await serve_headend(
        runtime, stop=stop, concurrency=concurrency, listen=listen, tick_s=tick, config=config
    )
    logging.getLogger(__name__).info("head-end stopped")


@app.command("read")
def read(
    serial: str = typer.Argument(..., help="Meter serial number (sayaç seri no)."),
    profile: tuple[str, str] | None = typer.Option(
        None,
        "--profile",
        help="Also read the load profile for FROM TO (local time, e.g. 2026-11-01 2026-11-02).",
        metavar="FROM TO",
    ),
    no_readout: bool = typer.Option(False, "--no-readout", help="Skip the readout."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every protocol step."),
) -> None:
    """Read one meter now and print what was stored."""
    _logging(verbose, quiet=True)
    try:
        start, end = (parse_local(profile[0]), parse_local(profile[1])) if profile else (None, None)
    except InvalidInput as exc:
        raise _fail(f"--profile: {exc}") from exc
    if start is not None and end is not None and end < start:
        raise _fail("--profile: TO is before FROM")
    runtime = _runtime()
    typer.echo(f"reading meter {serial} …")
    scheduler = Scheduler(runtime)
    scheduler.progress = typer.echo
    try:
        report = asyncio.run(
            scheduler.read_now(serial, profile_from=start, profile_to=end, readout=not no_readout)
        )
    except (NotFound, Conflict) as exc:
        raise _fail(str(exc)) from exc
    except (OperationalError, ProgrammingError) as exc:
        raise _fail(f"database not ready ({exc.orig}); run 'osos db upgrade' first") from exc
    finally:
        runtime.close()
    _print_report(report)
    if report.outcome == "failed":
        raise typer.Exit(1)


def _local(when: dt.datetime) -> str:
    return to_local(when).strftime("%Y-%m-%d %H:%M")


def _print_report(report: MeterReadReport) -> None:
    for value in report.values:
        unit = f" {value.unit}" if value.unit else ""
        when = f"  ({_local(value.value_time)})" if value.value_time else ""
        measured = value.number is not None and value.unit  # identifiers keep their zeros
        shown = format(value.number, "f") if measured else value.value
        typer.echo(f"  {value.obis:<12} {shown}{unit}{when}")
    if report.profile_range is not None:
        first, last = report.profile_range
        p = report.profile
        typer.echo(
            f"load profile {_local(first)} … {_local(last)}: {p.inserted} inserted, "
            f"{p.unchanged} unchanged, {p.conflicts} conflicts, "
            f"{p.replaced_estimates} estimates replaced"
        )
    if report.clock is not None:
        drift = round(report.clock.drift.total_seconds())
        action = ""
        if report.clock.set_to is not None:
            action = ", clock set" if report.clock.accepted else ", clock set REJECTED"
        typer.echo(f"meter clock drift {drift:+d} s{action}")
    message = f"{report.serial}: {report.outcome}"
    if report.error:
        message += f" — {report.error}"
    typer.secho(message, fg=typer.colors.GREEN if report.outcome == "ok" else typer.colors.RED)


@app.command("comm-status")
def comm_status_command(
    failing: bool = typer.Option(False, "--failing", help="Only meters whose last read failed."),
) -> None:
    """Print each meter's communication state (last success, failures, last error)."""
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            rows = comm_status(session, failing_only=failing)
    finally:
        runtime.close()
    for row in rows:
        typer.echo(
            f"{row.serial:<16} last ok {local_iso(row.last_success_at) or '-':<19} "
            f"failures {row.consecutive_failures:<3} profile to "
            f"{local_iso(row.last_profile_end) or '-':<19} {row.last_error or ''}"
        )
    typer.echo(f"{len(rows)} meter(s)")


plans_app = typer.Typer(help="Reading plans: when each class of service point is read.")
app.add_typer(plans_app, name="plans")


@plans_app.command("list")
def plans_list() -> None:
    """Print the reading plans (class, purpose, every, offset, clock check, enabled)."""
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            rows = list(
                session.scalars(select(ReadPlan).order_by(ReadPlan.service_class, ReadPlan.purpose))
            )
    finally:
        runtime.close()
    for plan in rows:
        typer.echo(
            f"{plan.service_class:<15} {plan.purpose:<8} every {plan.every_minutes:>5} min "
            f"+{plan.offset_minutes:<4} clock check {'yes' if plan.clock_check else 'no ':<3} "
            f"{'enabled' if plan.enabled else 'disabled'}"
        )


@plans_app.command("set")
def plans_set(
    service_class: str = typer.Argument(..., help="balancing_unit, generation or default."),
    purpose: str = typer.Argument(..., help="readout or profile."),
    every: int | None = typer.Option(None, "--every", help="Minutes between reads."),
    offset: int | None = typer.Option(None, "--offset", help="Minutes after local midnight."),
    clock_check: bool | None = typer.Option(
        None, "--clock-check/--no-clock-check", help="Check (and set) the meter clock."
    ),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Use this plan."),
) -> None:
    """Change one reading plan (recorded in the audit log)."""
    if service_class not in SERVICE_CLASSES:
        raise _fail(f"class must be one of {', '.join(SERVICE_CLASSES)}, got {service_class!r}")
    if purpose not in PURPOSES:
        raise _fail(f"purpose must be one of {', '.join(PURPOSES)}, got {purpose!r}")
    if every is not None and not 1 <= every <= 31 * 1440:
        raise _fail(f"--every must be 1 … {31 * 1440} minutes, got {every}")
    if offset is not None and offset < 0:
        raise _fail(f"--offset must not be negative, got {offset}")
    runtime = _runtime()
    try:
        with runtime.sessions.begin() as session:
            plan = session.scalar(
                select(ReadPlan).where(
                    ReadPlan.service_class == service_class, ReadPlan.purpose == purpose
                )
            )
            if plan is None:
                plan = ReadPlan(
                    service_class=service_class,
                    purpose=purpose,
                    every_minutes=every or 1440,
                    offset_minutes=0,
                    enabled=True,
                    clock_check=False,
                )
                session.add(plan)
            changes = {
                "every_minutes": every,
                "offset_minutes": offset,
                "clock_check": clock_check,
                "enabled": enabled,
            }
            changed = {k: v for k, v in changes.items() if v is not None}
            for name, value in changed.items():
                setattr(plan, name, value)
            audit.record(
                session,
                actor="cli",
                action="read_plan.update",
                object_type="read_plan",
                object_id=f"{service_class}/{purpose}",
                detail=changed,
            )
    finally:
        runtime.close()
    typer.echo(f"plan {service_class}/{purpose} updated: {changed or 'no change'}")
