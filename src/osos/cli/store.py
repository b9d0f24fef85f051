"""``osos db``: migrations, backup and restore of the database named by OSOS_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import typer

from osos.app import open_runtime
from osos.cli.util import exit_on
from osos.errors import ConfigError
from osos.settings import load_settings
from osos.store import db
from osos.store.backup import BackupFailed, backup, restore

app = typer.Typer(help="The database: migrations (upgrade, downgrade, current), backup, restore.")


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    runtime = open_runtime()
    try:
        sealed = runtime.upgrade(revision)
    finally:
        runtime.close()
    url = runtime.settings.database.url
    typer.echo(f"database at revision {db.current_revision(url)}")
    if sealed:
        typer.echo(f"sealed {sealed} meter secret(s) stored in clear")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Undo migrations down to REVISION (``base`` empties the database)."""
    url = load_settings().database.url
    db.downgrade(url, revision)
    typer.echo(f"database at revision {db.current_revision(url) or 'base'}")


@app.command()
def current() -> None:
    """Print the database's current revision."""
    typer.echo(db.current_revision(load_settings().database.url) or "base")


@app.command("backup")
def backup_command(
    file: Path = typer.Argument(..., help="Where to write the backup (overwritten)."),
) -> None:
    """Back the whole database up: SQLite online backup, or pg_dump's custom format."""
    url = load_settings().database.url
    with exit_on(ConfigError, BackupFailed, code=1):
        backup(url, file)
    typer.echo(f"database backed up to {file} ({file.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., help="A backup written by osos db backup."),
    yes: bool = typer.Option(False, "--yes", help="Replace the database without asking."),
) -> None:
    """Replace the database with a backup (everything in it now is lost)."""
    url = load_settings().database.url
    if not yes:
        typer.confirm(f"replace the database {url.split('@')[-1]} with {file}?", abort=True)
    with exit_on(ConfigError, BackupFailed, code=1):
        restore(url, file)
    typer.echo(f"database restored from {file}, at revision {db.current_revision(url)}")
