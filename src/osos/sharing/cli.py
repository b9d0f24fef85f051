"""Commands of the sharing layer: ``osos deliver`` and ``osos tokens``."""

from __future__ import annotations

import typer

deliver_app = typer.Typer(help="Deliveries to the market operator: run what is due, report status.")
tokens_app = typer.Typer(help="API tokens of market participants: create, revoke.")
