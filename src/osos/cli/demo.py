"""``osos demo``: the whole system on one machine — registry, simulated fleet, head-end, panel.

Everything runs in one asyncio process: the virtual modems listen on loopback (dial-out) or
call the head-end's listener (dial-in), the head-end reads them on its plans and back-fills
their load profiles, deliveries go to a folder under ``OSOS_HOME``, and the panel serves on
http://127.0.0.1:8000.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from pathlib import Path

import typer
import uvicorn
from sqlalchemy import select

from osos.app import open_runtime
from osos.app.headend import after_tick_hooks, serve_headend
from osos.errors import ImportFailed, InvalidInput
from osos.headend.config import HeadendConfig
from osos.identity.demo import ensure_demo_users
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.settings import Settings, load_settings
from osos.simulator import Fleet, specs_from_meters
from osos.simulator.faults import Fault, parse_fault_option
from osos.simulator.fromdb import meter_rows
from osos.store.db import transaction
from osos.store.models import ServicePoint
from osos.timeutil import SYSTEM_CLOCK
from osos.web.app import create_app

app = typer.Typer()

DIAL_IN_PORT = 4059
#: The demo fleet's tampered meter (Keşan Soğuk Hava Deposu): its
#: terminal cover opened and a magnet held on it a week ago, and most of its load by-passed
#: since, so the back office's loss worklist (/yonetim/kayip-kacak) has something to show.
DEMO_FAULTS = "80229911=cover_open,magnetic,bypass"
log = logging.getLogger("osos.demo")


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address of the panel."),
    port: int = typer.Option(8000, help="Port of the panel."),
    registry: Path = typer.Option(
        Path("examples/registry.csv"), help="Registry to import when the database is empty."
    ),
    backfill_days: int = typer.Option(
        40, help="Days of load profile the head-end reads from each meter on first contact."
    ),
    dial_in_port: int = typer.Option(DIAL_IN_PORT, help="Head-end listener for dial-in modems."),
    faults: str = typer.Option(
        DEMO_FAULTS, help="Simulated faults SERIAL=kind[,kind…] ('' for none), as osos simulate."
    ),
) -> None:
    """Run the demo: migrate, import the registry, start the simulated fleet, head-end, panel."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _demo_settings(load_settings(), backfill_days)
    runtime = open_runtime(upgrade=True, settings=settings)
    try:
        _prepare(runtime, registry)
        try:
            pairs = parse_fault_option(faults) if faults.strip() else []
        except InvalidInput as exc:
            raise typer.BadParameter(str(exc), param_hint="--faults") from exc
        asyncio.run(_run(runtime, host, port, dial_in_port, backfill_days, pairs))
    except KeyboardInterrupt:
        typer.echo("demo stopped")
    finally:
        runtime.close()


def _prepare(runtime: Runtime, registry: Path) -> None:

    with transaction(runtime.sessions) as session:
        if session.scalar(select(ServicePoint.id).limit(1)) is None:
            try:
                report = import_registry(session, registry, actor="demo")
            except ImportFailed as exc:
                for line in exc.errors:
                    typer.echo(line, err=True)
                raise typer.Exit(1) from exc
            typer.echo(f"imported {registry}: {report.imported_rows} rows")
        logins = ensure_demo_users(session)
    typer.echo("demo logins (Giriş Tipi — login — password):")
    for login in logins:
        typer.echo(f"  {login.kind.value:<10} {login.login:<32} {login.password}   ({login.note})")


def _demo_settings(settings: Settings, days: int) -> Settings:
    """Deliveries go to a folder under ``OSOS_HOME`` unless ``OSOS_DELIVERY_URL`` says where;
    the fleet has no data before its back-fill, so periods before it are not owed; the panel
    gives a demo OSOS contact and the head-end runs the alerts hourly unless set otherwise."""
    sharing = settings.sharing
    if not sharing.delivery_url:
        folder = settings.home / "deliveries"
        folder.mkdir(parents=True, exist_ok=True)
        sharing = dataclasses.replace(sharing, delivery_url=folder.as_uri())
    if sharing.obligations_from is None:
        go_live = SYSTEM_CLOCK.now() - dt.timedelta(days=days)
        sharing = dataclasses.replace(sharing, obligations_from=go_live)
    mail, alerts = settings.mail, settings.alerts
    if not mail.contact:
        mail = dataclasses.replace(mail, contact="osos@tredas.example")
    if alerts.headend_every is None:
        alerts = dataclasses.replace(alerts, headend_every=dt.timedelta(hours=1))
    return dataclasses.replace(settings, sharing=sharing, mail=mail, alerts=alerts)


async def _run(
    runtime: Runtime,
    host: str,
    port: int,
    dial_in_port: int,
    days: int,
    faults: list[tuple[str, Fault]],
) -> None:
    with runtime.sessions() as session:
        specs = specs_from_meters(meter_rows(session))
    stop = asyncio.Event()
    async with Fleet(specs, host="127.0.0.1") as fleet:
        for serial, fault in faults:
            if serial in fleet.meters:
                fleet.set_fault(serial, fault)
        dial_in = [s.serial for s in specs if s.port is None]
        typer.echo(
            f"simulated fleet: {len(specs) - len(dial_in)} dial-out meters on 127.0.0.1, "
            f"{len(dial_in)} dial-in modems calling 127.0.0.1:{dial_in_port}"
        )
        if dial_in:
            fleet.dial_in("127.0.0.1", dial_in_port, interval=900, stagger=5, serials=dial_in)
        config = HeadendConfig(
            initial_backfill=dt.timedelta(days=days), max_backfill=dt.timedelta(days=days)
        )
        headend = asyncio.create_task(
            serve_headend(
                runtime,
                stop=stop,
                concurrency=50,
                listen=("127.0.0.1", dial_in_port),
                tick_s=5.0,
                config=config,
                hooks=after_tick_hooks(
                    runtime,
                    validation_every=dt.timedelta(minutes=1),
                    losses_every=dt.timedelta(minutes=5),
                ),
            )
        )
        server = uvicorn.Server(uvicorn.Config(create_app(runtime), host=host, port=port))
        typer.echo(f"osos panel on http://{host}:{port}/ — Ctrl-C stops the demo")
        try:
            await server.serve()
        finally:
            stop.set()
            await headend
