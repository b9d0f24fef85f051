"""``osos alerts``: what a month raises (preview, nothing sent) and the run that sends it."""

from __future__ import annotations

import typer

from osos.alerts.evaluate import preview
from osos.alerts.send import run
from osos.alerts.sms import sms_sender
from osos.cli.util import command_runtime, echo_json, local_time_option, period_option
from osos.store import db
from osos.store.db import now as db_now
from osos.timeutil import period_of

app = typer.Typer(help="Reactive penalty risk, contract power and data freshness alerts.")


@app.command("preview")
def preview_command(
    period: str = typer.Option("", "--period", help="Month YYYY-MM (default: this month)."),
    as_of: str = typer.Option("", "--as-of", help="Local time the month is seen at (default now)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The alerts the month would raise as of a time, without storing or sending anything."""
    when = local_time_option(as_of, "--as-of")
    month = period_option(period, "--period") if period else period_of(when)
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        found = preview(session, runtime.settings, month, when)
    if as_json:
        echo_json([f.to_json() for f in found])
        return
    for f in found:
        item = f.to_json()
        typer.echo(
            f"{item['service_point'] or '-':<14} {item['kind']:<20} {item['level']:<9} "
            f"{item['value'] or '-'} / {item['limit'] or '-'}"
            + (f"  excess {item['excess_kvarh']} kvarh" if item["excess_kvarh"] else "")
            + (f"  advice {item['advice_kvar']} kvar" if item["advice_kvar"] else "")
        )
    typer.echo(f"{len(found)} alert(s) for {month}")


@app.command("run")
def run_command() -> None:
    """Raise and store what is due now and send each user's digest (daily or weekly)."""
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        sms = sms_sender(runtime.settings.alerts.sms_url)
        summary = run(session, runtime.settings, sms, db_now(session))
    typer.echo(
        f"{summary.raised} alert(s) raised, {summary.emails} e-mail(s) with "
        f"{summary.alerts_sent} alert(s), {summary.sms} SMS"
        + (f", {summary.held} held (first back-fill)" if summary.held else "")
    )
    for error in summary.errors:
        typer.echo(f"error: {error}", err=True)
