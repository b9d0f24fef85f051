"""``osos regulation``: the regulatory settings as dated data (list, change from a date)."""

from __future__ import annotations

import typer

from osos.cli.util import command_runtime, echo_json, exit_on, local_time_option
from osos.errors import InvalidInput
from osos.regulation import SECTIONS, history, parse_text, set_value
from osos.store import db
from osos.timeutil import local_iso

app = typer.Typer(help="Regulatory settings as dated data: reactive limits, deadlines, scope…")


def _pairs(items: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for item in items:
        field, sep, text = item.partition("=")
        if not sep or not field or not text:
            raise typer.BadParameter(f"expected FIELD=VALUE, got {item!r}", param_hint="VALUES")
        values[field.strip()] = parse_text(text.strip())
    return values


@app.command("set")
def set_command(
    key: str = typer.Argument(..., help="One of: " + ", ".join(SECTIONS)),
    values: list[str] = typer.Argument(..., help="FIELD=VALUE … (durations as 90min, 2h)"),
    valid_from: str = typer.Option(..., "--from", help="Local date or time it applies from."),
    reason: str = typer.Option(..., "--reason", help="The decision the change follows."),
    by: str = typer.Option("cli", "--by", help="Who changes it (for the audit log)."),
) -> None:
    """Change a regulatory setting from a date on (results computed before keep theirs)."""
    when = local_time_option(valid_from, "--from")
    changes = _pairs(values)
    with (
        command_runtime(upgrade=True) as runtime,
        exit_on(InvalidInput),
        db.transaction(runtime.sessions) as session,
    ):
        change = set_value(
            session, runtime.settings, key, changes, valid_from=when, by=by, reason=reason
        )
    typer.echo(f"{change.key} from {local_iso(change.valid_from)}: {change.values}")


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every change of the regulatory settings, oldest first."""
    with command_runtime(upgrade=True) as runtime, db.transaction(runtime.sessions) as session:
        changes = history(session)
    if as_json:
        echo_json(
            [
                {
                    "key": c.key,
                    "valid_from": local_iso(c.valid_from),
                    "values": dict(c.values),
                    "reason": c.reason,
                    "changed_by": c.changed_by,
                    "changed_at": local_iso(c.changed_at),
                }
                for c in changes
            ]
        )
        return
    for c in changes:
        typer.echo(f"{local_iso(c.valid_from)}  {c.key:<10} {dict(c.values)}  ({c.reason})")
