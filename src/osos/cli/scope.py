"""Commands of the scope rules: ``osos scope evaluate``."""

from __future__ import annotations

import typer

from osos.cli.util import command_runtime, echo_json, fail, local_time_option, unit_of_work
from osos.regulation import settings_at
from osos.scope.rules import ScopeConfig, work_plan
from osos.scope.service import (
    add_company_decision,
    decide_inclusion,
    evaluate_scope,
    request_inclusion,
    smart_meter_status,
)
from osos.scope.smart_meters import SmartMeterPlan
from osos.store import db
from osos.store.db import now as db_now

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
    when = local_time_option(at, "--at")
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        config = ScopeConfig.from_settings(settings_at(session, runtime.settings, when).scope)
        evaluations = evaluate_scope(session, when, config)
        smart = smart_meter_status(session, when, config)
    missing = work_plan(evaluations)
    shown = missing if plan_only else evaluations
    if as_json:
        echo_json([e.to_json() for e in shown])
        return
    for e in shown:
        state = "in OSOS" if e.in_osos else ("MISSING" if e.must_include else "-")
        rules = ",".join(e.rules) or "-"
        typer.echo(f"{e.service_point:<16} {state:<8} {rules}")
    typer.echo("")
    typer.echo(f"Work plan — must be added to OSOS ({len(missing)}):")
    for e in missing:
        typer.echo(f"  {e.service_point}: {e.reason}")
    if smart is not None:
        _echo_smart(smart)


def _echo_smart(plan: SmartMeterPlan) -> None:
    typer.echo("")
    typer.echo(
        f"Akıllı Sayaç PRO — {plan.sites} site(s) above the limit, {plan.sites_with_pro} with PRO:"
    )
    for step in plan.steps:
        state = "met" if step.met else f"{step.required - step.done} to go"
        missing = ", ".join(step.subjects[:10]) + (" …" if len(step.subjects) > 10 else "")
        typer.echo(
            f"  {step.obligation:<5} by {step.due.isoformat()}: {step.done}/{step.required} "
            f"({state}){': ' + missing if missing and not step.met else ''}"
        )


@app.command("smart-meters")
def smart_meters(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    at: str = typer.Option("", "--at", help="As of this local date or time; default now."),
) -> None:
    """The 2026 smart-meter rules' obligations (PRO meters for sites and panos) and progress."""
    when = local_time_option(at, "--at")
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        scope = settings_at(session, runtime.settings, when).scope
        plan = smart_meter_status(session, when, ScopeConfig.from_settings(scope))
    if plan is None:
        raise fail("the rule set in force has no smart-meter obligations", 1)
    if as_json:
        echo_json(plan.to_json())
        return
    _echo_smart(plan)


@app.command("request")
def request(
    service_point: str = typer.Argument(..., help="The service point number."),
    by: str = typer.Option(..., "--by", help="Who asks (participant or consumer)."),
    note: str = typer.Option("", "--note", help="E.g. the equipment they provide."),
) -> None:
    """Record a voluntary inclusion request (the requester provides the equipment)."""
    with unit_of_work() as session:
        request_id = request_inclusion(
            session, service_point, requested_by=by, at=db_now(session), note=note
        )
    typer.echo(f"inclusion request {request_id} recorded for {service_point}")


@app.command("decide")
def decide(
    request_id: int = typer.Argument(..., help="The inclusion request's id."),
    answer: str = typer.Argument(..., help="approve or reject."),
    by: str = typer.Option("cli", "--by", help="Who decides."),
) -> None:
    """Approve or reject a voluntary inclusion request (back office)."""
    if answer not in ("approve", "reject"):
        raise typer.BadParameter("use approve or reject", param_hint="ANSWER")
    with unit_of_work() as session:
        decide_inclusion(
            session, request_id, approve=answer == "approve", decided_by=by, at=db_now(session)
        )
    typer.echo(f"inclusion request {request_id}: {answer}d")


@app.command("require")
def require(
    service_point: str = typer.Argument(..., help="The service point number."),
    reason: str = typer.Option(..., "--reason", help="Why the company deems it necessary."),
    by: str = typer.Option("cli", "--by", help="Who decides."),
) -> None:
    """The company names a service point that must be in OSOS (company decision)."""
    with unit_of_work() as session:
        add_company_decision(
            session, service_point, reason=reason, decided_by=by, at=db_now(session)
        )
    typer.echo(f"{service_point}: company decision recorded")
