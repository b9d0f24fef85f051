"""``osos db``: migrations of the database named by OSOS_DATABASE_URL."""

from __future__ import annotations

import typer

from osos.settings import load_settings
from osos.store import db

app = typer.Typer(help="Database migrations: upgrade, downgrade, current revision.")


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    url = load_settings().database.url
    db.upgrade(url, revision)
    typer.echo(f"database at revision {db.current_revision(url)}")


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
