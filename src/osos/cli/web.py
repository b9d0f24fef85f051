"""Commands of the panel: ``osos serve`` and ``osos users``."""

from __future__ import annotations

import sys

import typer
import uvicorn

from osos.app import open_runtime
from osos.cli.util import unit_of_work
from osos.domain import UserKind
from osos.errors import NotFound
from osos.identity.accounts import (
    AccountError,
    PasswordPolicyError,
    create_user,
    list_users,
    set_active,
)
from osos.web.app import create_app
from osos.web.i18n import translate

# uvicorn's 5 s closes kept-alive connections that clients (and proxies) are about to reuse:
# under load their next request then fails with a reset instead of an answer
KEEP_ALIVE_S = 75
app = typer.Typer()  # top-level commands (serve)
users_app = typer.Typer(help="Manage panel accounts: add, list, disable.")


def _explain(keys: list[str]) -> str:
    return "; ".join(translate("en", k) for k in keys)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (sessions live in the database, so any number works)."
    ),
) -> None:
    """Run the customer panel, the back office and the API (migrates the database first)."""
    runtime = open_runtime(upgrade=True)
    url = runtime.settings.database.url
    typer.echo(f"osos panel on http://{host}:{port}/  (database: {url.split('@')[-1]})")
    try:
        if workers > 1:
            runtime.close()
            uvicorn.run(
                "osos.app.web:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                proxy_headers=False,  # osos reads X-Forwarded-For itself, from trusted proxies
                timeout_keep_alive=KEEP_ALIVE_S,
            )
        else:
            uvicorn.run(
                create_app(runtime),
                host=host,
                port=port,
                proxy_headers=False,
                timeout_keep_alive=KEEP_ALIVE_S,
            )
    finally:
        runtime.close()


@users_app.command("add")
def add_user(
    type_: UserKind = typer.Option(..., "--type", help="Account kind."),
    login: str = typer.Option(..., help="Installation number (abone) or e-mail address."),
    service_point: list[str] = typer.Option(
        [], "--service-point", help="Service point number (abone; repeatable)."
    ),
    organisation: str | None = typer.Option(
        None, help="Organisation name (tedarikçi: the supplier, kurumsal: the customer)."
    ),
    full_name: str | None = typer.Option(None, help="Name shown in the panel."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (required)."
    ),
) -> None:
    """Add a panel account; the password is read from standard input, never from arguments."""

    if not password_stdin:
        raise typer.BadParameter("pass the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with unit_of_work(upgrade=True, expected=()) as session:
            user = create_user(
                session,
                kind=type_,
                login=login,
                password=password,
                service_point_nos=service_point,
                organisation=organisation,
                full_name=full_name,
            )
    except PasswordPolicyError as exc:
        typer.echo(f"error: password rejected: {_explain(exc.problems)}", err=True)
        raise typer.Exit(2) from exc
    except AccountError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    points = ", ".join(user.service_point_nos) or "-"
    typer.echo(f"added {user.kind.value} {user.login} (service points: {points})")


@users_app.command("list")
def list_accounts() -> None:
    """List panel accounts with their kind, organisation, state and service points."""

    with unit_of_work(upgrade=True, expected=()) as session:
        users = list_users(session)
    if not users:
        typer.echo("no accounts")
    for u in users:
        state = "active" if u.active else "disabled"
        org = u.organisation_name or "-"
        points = ",".join(u.service_point_nos) or "-"
        typer.echo(f"{u.kind.value:<10} {u.login:<36} {state:<9} {org:<30} {points}")


@users_app.command("disable")
def disable(login: str = typer.Argument(..., help="The account's login.")) -> None:
    """Disable an account and end its sessions."""

    try:
        with unit_of_work(upgrade=True, expected=()) as session:
            user = set_active(session, login, False)
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"disabled {user.login}")
