"""The ``osos`` command line. Each layer owns its commands; this module only mounts them."""

from __future__ import annotations

import typer

from osos import __version__
from osos import demo as demo_cli
from osos.headend import cli as headend_cli
from osos.mdm import cli as mdm_cli
from osos.protocol.dlms import cli as dlms_cli
from osos.protocol.iec62056_21 import cli as iec_cli
from osos.registry import cli as registry_cli
from osos.scope import cli as scope_cli
from osos.sharing import cli as sharing_cli
from osos.simulator import cli as simulator_cli
from osos.store import cli as store_cli
from osos.web import cli as web_cli

app = typer.Typer(
    help="osos — Automatic Meter Reading System (OSOS) for electricity distribution companies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

import_app = typer.Typer(help="Import registry, readings and load profiles from CSV/XLSX.")
import_app.add_typer(registry_cli.import_app)
import_app.add_typer(mdm_cli.import_app)

app.add_typer(demo_cli.app)
app.add_typer(store_cli.app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(iec_cli.app, name="iec")
app.add_typer(dlms_cli.app, name="dlms")
app.add_typer(simulator_cli.app)
app.add_typer(headend_cli.app)
app.add_typer(mdm_cli.app)
app.add_typer(mdm_cli.report_app, name="report")
app.add_typer(web_cli.app)
app.add_typer(web_cli.users_app, name="users")
app.add_typer(sharing_cli.deliver_app, name="deliver")
app.add_typer(sharing_cli.tokens_app, name="tokens")
app.add_typer(scope_cli.app, name="scope")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"osos {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """osos — Automatic Meter Reading System."""


def main() -> None:
    app()
