"""Commands of the panel: ``osos serve`` and ``osos users``."""

from __future__ import annotations

import typer

app = typer.Typer()  # top-level commands (serve)
users_app = typer.Typer(help="Manage panel accounts: add, list, disable.")
