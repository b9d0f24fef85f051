"""Commands of the scope rules: ``osos scope evaluate``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Which service points must be in OSOS, and why.")
