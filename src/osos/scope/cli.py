"""Commands of the scope rules: ``osos scope evaluate``."""

from __future__ import annotations

import json

import typer

from osos.runtime import open_runtime
from osos.scope.rules import work_plan
from osos.scope.service import evaluate_scope
from osos.store import db
from osos.timeutil import parse_local, utcnow

app = typer.Typer(help="Which service points must be in OSOS, and why.")


@app.command()
def evaluate(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    at: str = typer.Option(
        "", "--at", help="Evaluate at this local date or time (ISO 8601); default now."
    ),
    plan_only: bool = typer.Option(
        False, "--plan", help="Only the service points that must be added (the work plan)."
    ),
) -> None:
    """Every service point with the rules that apply, whether it is in OSOS, and the work plan."""
    try:
        when = parse_local(at) if at else utcnow()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from exc
    runtime = open_runtime()
    try:
        with db.transaction(runtime.sessions) as session:
            evaluations = evaluate_scope(session, when)
    finally:
        runtime.close()
    missing = work_plan(evaluations)
    shown = missing if plan_only else evaluations
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in shown], ensure_ascii=False, indent=2))
        return
    for e in shown:
        state = "in OSOS" if e.in_osos else ("MISSING" if e.must_include else "-")
        rules = ",".join(e.rules) or "-"
        typer.echo(f"{e.service_point:<16} {state:<8} {rules}")
    typer.echo("")
    typer.echo(f"Work plan — must be added to OSOS ({len(missing)}):")
    for e in missing:
        typer.echo(f"  {e.service_point}: {e.reason}")
