"""Commands of the sharing layer: ``osos deliver`` and ``osos tokens``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import typer

from osos.cli.util import (
    command_runtime,
    echo_json,
    exit_on,
    local_time_option,
    period_option,
    unit_of_work,
)
from osos.domain import FeeReason
from osos.errors import ConfigError
from osos.sharing.board import compliance_report, delivery_board
from osos.sharing.corrections import list_corrections, record_correction_answer
from osos.sharing.deliveries import run_due
from osos.sharing.fees import fee_report
from osos.sharing.obligations import set_settlement_calendar
from osos.sharing.requests import decide_request, fulfil_request, set_fee
from osos.sharing.tokens import create_token, list_tokens, revoke_token
from osos.store import db
from osos.store.db import now as db_now
from osos.timeutil import local_iso, period_of, to_local

deliver_app = typer.Typer(
    help="Deliveries to the market operator, their ledger, and priced data requests."
)
tokens_app = typer.Typer(help="API tokens of market participants: create, revoke.")
SHOWN_ALERTS = 20


def _duration(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@deliver_app.command("run")
def run(
    now: str = typer.Option("", "--now", help="Run as of this local time (ISO 8601); default now."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Send every delivery that is due and ready; raise alerts; queue corrections."""
    when = local_time_option(now, "--now")
    with command_runtime() as runtime, exit_on(ConfigError):
        summary = run_due(runtime, when, config=runtime.settings.sharing)
    if as_json:
        echo_json(summary.to_json())
        return
    typer.echo(
        f"planned {summary.planned}, sent {summary.sent} on time, {summary.sent_late} late, "
        f"{summary.waiting} waiting for data, {summary.failed} failed, "
        f"corrections queued {summary.corrections_queued} / sent {summary.corrections_sent}"
    )
    if summary.alerts:
        at_risk = sum(1 for a in summary.alerts if a.startswith("at_risk"))
        typer.echo(
            f"{len(summary.alerts)} new alert(s): {at_risk} at risk, "
            f"{len(summary.alerts) - at_risk} overdue (osos deliver board shows them all)"
        )
        for alert in summary.alerts[:SHOWN_ALERTS]:
            typer.echo(f"ALERT {alert}")


@deliver_app.command("status")
def status(
    period: str = typer.Option("", "--period", help="Month YYYY-MM; default the current one."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compliance report per rule: due, on time, late with delay, missing, estimated, corrected."""
    with unit_of_work() as session:
        now = db_now(session)
        period = period_option(period) if period else period_of(now)
        report = compliance_report(session, period, now)
    if as_json:
        echo_json({"period": period, "rules": [r.to_json() for r in report]})
        return
    typer.echo(f"Deliveries to the market operator, {period}")
    for r in report:
        line = r.to_json()
        typer.echo(
            f"rule {r.rule} {r.label:<24} due {r.due:>5}  on time {r.on_time:>5}  "
            f"late {r.late:>4} (max {_duration(r.max_delay_s)})  missing {r.missing:>4}  "
            f"estimated {r.estimated:>4}  not yet due {r.not_yet_due:>4}  "
            f"corrections {line['corrections'] or '-'}"
        )


@deliver_app.command("board")
def board(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Unsent and recently sent deliveries, late first, with the countdown to each deadline."""
    with unit_of_work() as session:
        rows = delivery_board(session, db_now(session))
    if as_json:
        echo_json([r.to_json() for r in rows])
        return
    for r in rows:
        typer.echo(
            f"{r.state:<9} rule {r.rule} {r.service_point:<14} "
            f"{to_local(r.period_start):%Y-%m-%d %H:%M}  due {to_local(r.due_at):%Y-%m-%d %H:%M}"
            f"  {_duration(r.seconds_left)}"
        )


@deliver_app.command("calendar")
def calendar(
    period: str = typer.Argument(..., help="Month YYYY-MM."),
    last_day: str = typer.Argument(..., help="Last day of the settlement calendar, YYYY-MM-DD."),
    pre_settlement: str = typer.Option("", help="Pre-settlement day, YYYY-MM-DD."),
) -> None:
    """Record the market operator's settlement calendar of a month (rule-3 deadline)."""
    period_option(period)
    try:
        last = dt.date.fromisoformat(last_day)
        pre = dt.date.fromisoformat(pre_settlement) if pre_settlement else None
    except ValueError as exc:
        raise typer.BadParameter(f"not a date YYYY-MM-DD: {exc}") from exc
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        set_settlement_calendar(session, period, last, pre, config=runtime.settings.sharing)
    typer.echo(f"settlement calendar {period}: last day {last.isoformat()}")


@deliver_app.command("fees")
def fees(
    period: str = typer.Option(..., "--period", help="Month YYYY-MM."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fee report for the regulator: fees charged for data outside the plan, with reasons."""
    period = period_option(period)
    with command_runtime() as runtime, db.transaction(runtime.sessions) as session:
        config = runtime.settings.sharing
        lines = fee_report(session, period)
    total = sum((line.fee for line in lines), Decimal(0))
    if as_json:
        echo_json(
            {
                "period": period,
                "currency": config.currency,
                "total": str(total),
                "fees": [line.to_json() for line in lines],
            }
        )
        return
    typer.echo(f"Ücretli veri talepleri / fees for data outside the plan, {period}")
    for line in lines:
        typer.echo(
            f"{line.date} #{line.request_id:<5} {line.requester:<30} {line.service_point:<14} "
            f"{line.reason:<18} {line.fee:>10} {config.currency}  {line.justification or ''}"
        )
    typer.echo(f"total {total} {config.currency} ({len(lines)} request(s))")


@deliver_app.command("request")
def decide(
    request_id: int = typer.Argument(..., help="The data request's id."),
    action: str = typer.Argument(..., help="approve, reject or fulfil."),
    by: str = typer.Option("cli", "--by", help="Who decides (for the record)."),
) -> None:
    """Back office: approve, reject or fulfil (build the file of) a priced data request."""
    if action not in ("approve", "reject", "fulfil"):
        raise typer.BadParameter("use approve, reject or fulfil", param_hint="ACTION")
    with unit_of_work() as session:
        if action == "fulfil":
            name = fulfil_request(session, request_id, at=db_now(session))
            typer.echo(f"request {request_id} fulfilled: {name}")
        else:
            decide_request(
                session, request_id, approve=action == "approve", by=by, at=db_now(session)
            )
            typer.echo(f"request {request_id} {action}d")


@tokens_app.command("create")
def create(
    organisation: str = typer.Option(..., "--organisation", help="The organisation's name."),
    name: str = typer.Option("", "--name", help="A label for the token."),
) -> None:
    """Create an API token for an organisation; the token is shown once, only here."""
    with unit_of_work() as session:
        issued = create_token(
            session, organisation, at=db_now(session), created_by="cli", name=name
        )
    typer.echo(f"token {issued.id} for {issued.organisation} (shown once, keep it safe):")
    typer.echo(issued.token)


@tokens_app.command("revoke")
def revoke(
    token_id: int = typer.Argument(..., help="The token's id (from create or list)."),
) -> None:
    """Revoke an API token at once."""
    with unit_of_work() as session:
        revoke_token(session, token_id, at=db_now(session))
    typer.echo(f"token {token_id} revoked")


@tokens_app.command("list")
def list_tokens_command() -> None:
    """List API tokens (never the secrets): id, organisation, prefix, state."""
    with unit_of_work() as session:
        tokens = list_tokens(session)
    for t in tokens:
        state = f"revoked {local_iso(t.revoked_at)}" if t.revoked_at else "active"
        typer.echo(f"{t.id:>4} {t.organisation:<40} {t.prefix}…  {state}")


@deliver_app.command("corrections")
def corrections(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Corrections of delivered data (queued, pending at the operator, approved, rejected)."""
    with unit_of_work() as session:
        rows = list_corrections(session)
    if as_json:
        echo_json([r.to_json() for r in rows])
        return
    for r in rows:
        typer.echo(
            f"#{r.id:<5} {r.status:<9} rule {r.rule} {r.service_point:<14} "
            f"{local_iso(r.period_start)}  {r.reason or ''}"
        )


@deliver_app.command("correction")
def correction_answer(
    correction_id: int = typer.Argument(..., help="The correction's id."),
    answer: str = typer.Argument(..., help="The market operator's answer: approved or rejected."),
    by: str = typer.Option("EPİAŞ", "--by", help="Who answered."),
) -> None:
    """Record the market operator's answer to a correction."""
    if answer not in ("approved", "rejected"):
        raise typer.BadParameter("use approved or rejected", param_hint="ANSWER")
    with unit_of_work() as session:
        record_correction_answer(
            session, correction_id, approved=answer == "approved", by=by, at=db_now(session)
        )
    typer.echo(f"correction {correction_id} {answer}")


@deliver_app.command("fee-set")
def fee_set(
    reason: str = typer.Argument(
        ..., help="other_period, other_resolution, outside_portfolio or utility_meter."
    ),
    amount: str = typer.Argument(..., help="The fee, e.g. 175.50."),
    valid_from: str = typer.Option("", "--from", help="Local date it applies from; default now."),
    justification: str = typer.Option(..., "--justification", help="Why (for the regulator)."),
) -> None:
    """Set the fee for a reason from a date (the fee table; earlier fees stay for the past)."""
    if reason not in set(FeeReason):
        raise typer.BadParameter(f"unknown reason {reason!r}", param_hint="REASON")
    try:
        value = Decimal(amount)
    except ArithmeticError as exc:
        raise typer.BadParameter(f"not an amount: {amount!r}", param_hint="AMOUNT") from exc
    if not value.is_finite() or value < 0:
        raise typer.BadParameter(f"not an amount: {amount!r}", param_hint="AMOUNT")
    when = local_time_option(valid_from, "--from")
    with unit_of_work() as session:
        set_fee(session, reason, value, valid_from=when, justification=justification)
    typer.echo(f"fee for {reason}: {value} from {local_iso(when)}")
