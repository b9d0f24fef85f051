"""The ``osos`` command line: one module per layer's commands, mounted here.

Commands are the composition root's front door: they open the runtime (:mod:`osos.app`) and
call the layers; no layer imports a command module.
"""

from __future__ import annotations

import typer

from osos import __version__
from osos.cli import alerts as alerts_cli
from osos.cli import demo as demo_cli
from osos.cli import dlms as dlms_cli
from osos.cli import headend as headend_cli
from osos.cli import iec as iec_cli
from osos.cli import losses as losses_cli
from osos.cli import mdm as mdm_cli
from osos.cli import raw as raw_cli
from osos.cli import registry as registry_cli
from osos.cli import regulation as regulation_cli
from osos.cli import scope as scope_cli
from osos.cli import sharing as sharing_cli
from osos.cli import simulator as simulator_cli
from osos.cli import store as store_cli
from osos.cli import web as web_cli

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
app.add_typer(regulation_cli.app, name="regulation")
app.add_typer(alerts_cli.app, name="alerts")
app.add_typer(losses_cli.app)
app.add_typer(raw_cli.app, name="raw")


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
