"""``osos simulate``: a fleet of virtual meters behind virtual GPRS modems."""

from __future__ import annotations

import typer

app = typer.Typer()
