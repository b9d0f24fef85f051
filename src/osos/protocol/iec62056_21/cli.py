"""IEC 62056-21 tools: ``osos iec parse``."""

from __future__ import annotations

import typer

app = typer.Typer(help="IEC 62056-21 tools.")
