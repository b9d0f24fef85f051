"""Head-end and simulator commands: ``osos simulate``, ``osos headend``, ``osos read``."""

from __future__ import annotations

import typer

app = typer.Typer()
