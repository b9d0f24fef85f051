"""``osos import registry FILE``."""

from __future__ import annotations

import typer

import_app = typer.Typer()
