"""``osos import registry FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from osos.cli.util import fail, unit_of_work
from osos.errors import ImportFailed
from osos.registry.importer import import_registry

import_app = typer.Typer()


@import_app.command("registry")
def registry(
    file: Path = typer.Argument(..., help="Registry file: CSV (UTF-8, ; or ,) or .xlsx."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows even when some rows are invalid."
    ),
) -> None:
    """Upsert service points, meters, installations and supply periods from a registry file."""
    try:
        with unit_of_work(upgrade=True, expected=()) as session:
            report = import_registry(session, file, skip_invalid=skip_invalid)
    except ImportFailed as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        raise fail(f"{file}: {exc}", 1) from exc
    for line in report.errors:
        typer.echo(f"skipped: {line}", err=True)
    typer.echo(
        f"{file}: {report.imported_rows} of {report.rows} rows imported; "
        f"service points +{report.service_points_created} ~{report.service_points_updated}, "
        f"meters +{report.meters_created} ~{report.meters_updated}, "
        f"installations +{report.installations_opened} "
        f"(meter changes {report.meter_changes}, ratio changes {report.ratio_changes}), "
        f"supply periods +{report.supply_periods_created}"
        + ("" if report.changed else " — nothing changed")
    )
