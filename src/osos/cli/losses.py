"""``osos losses``: run the loss and tamper detectors over a month and print the worklist."""

from __future__ import annotations

import typer

from osos.cli.util import command_runtime, echo_json, period_option
from osos.losses.service import run_period
from osos.losses.store import listed
from osos.store import db
from osos.timeutil import local_iso, month_bounds, period_of

app = typer.Typer()


@app.command()
def losses(
    period: str = typer.Option("", help="Month YYYY-MM (default: this month)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    detect: bool = typer.Option(
        True, "--detect/--no-detect", help="Run the detectors first (else list what is stored)."
    ),
) -> None:
    """Findings of losses, tampering and theft in a month: {service_point, kind, start, end,
    evidence, …} with the readout whose bytes show it."""
    with command_runtime(upgrade=True) as runtime:
        month = period_option(period or period_of(runtime.clock.now()))
        with db.transaction(runtime.sessions) as session:
            saved = run_period(session, month, runtime.settings.losses)[1] if detect else None
            low, high = month_bounds(month)
            rows = sorted(listed(session, low, high), key=lambda r: (r.finding.start, r.id))
    if as_json:
        echo_json(
            [
                {**r.finding.as_json(), "id": r.id, "status": r.status.value, "title": r.title}
                for r in rows
            ]
        )
        return
    if saved is not None:
        typer.echo(f"{month}: {saved.added} new, {saved.updated} updated, {saved.unchanged} seen")
    for r in rows:
        f = r.finding
        evidence = " ".join(f"{k}={v}" for k, v in f.evidence.items())
        typer.echo(
            f"{f.service_point:<12} {f.kind.value:<18} {local_iso(f.start)} → "
            f"{local_iso(f.end) or '…'} {r.status.value:<12} readout {f.readout_id} {evidence}"
        )
