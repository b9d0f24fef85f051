"""Data management commands: ``osos import readings|profile``, ``ingest``, ``report``."""

from __future__ import annotations

import typer

app = typer.Typer()  # top-level commands (ingest)
import_app = typer.Typer()  # merged into `osos import`
report_app = typer.Typer(help="Reports: monthly billing determinants.")
