"""Backup and restore of the whole database: what an operator runs before an upgrade.

SQLite: the online backup API (a consistent copy while the head-end keeps writing).
PostgreSQL: ``pg_dump`` in its custom format, restored as SQL in one psql transaction into the
configured database (its objects are replaced). Both keep every table, the migration
revision included, so a restored database is exactly the one backed up.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from osos.errors import ConfigError, OsosError


class BackupFailed(OsosError):
    """The backup or restore tool failed; the message says what it said."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise ConfigError(f"{url!r} names no SQLite file")
    return Path(database)


def _pg_dsn(url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (without the driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"{name} is not installed (Debian: postgresql-client)")
    return path


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"{Path(command[0]).name}: {done.stderr.strip() or done.returncode}")


def backup(url: str, target: Path) -> None:
    """Write a backup of the database at ``url`` to ``target`` (overwritten)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _pg_dsn(url)])


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup in ``source``."""
    if not source.is_file():
        raise ConfigError(f"{source}: no such backup file")
    if url.startswith("sqlite"):
        backup_db = sqlite3.connect(source)
        destination = sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(destination)
        finally:
            destination.close()
            backup_db.close()
        return
    _restore_pg(url, source)


#: What a restore replaces: the application's schema and the partitions' (``pg_restore
#: --clean`` cannot drop a partitioned table's inherited keys, so the schemas go whole).
_PRELUDE = (
    "DROP SCHEMA IF EXISTS profile_parts CASCADE;\n"
    "DROP SCHEMA public CASCADE;\n"
    "CREATE SCHEMA public;\n"
)


def _restore_pg(url: str, source: Path) -> None:
    """The backup as SQL after the prelude, in one psql transaction: a failed restore leaves
    the database as it was."""
    script = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--file=-", str(source)],
        capture_output=True, check=False,
    )  # fmt: skip
    if script.returncode != 0:
        raise BackupFailed(f"pg_restore: {script.stderr.decode(errors='replace').strip()}")
    body = script.stdout.replace(b"CREATE SCHEMA public;", b"")
    done = subprocess.run(
        [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
         "--set=ON_ERROR_STOP=1", f"--dbname={_pg_dsn(url)}"],
        input=_PRELUDE.encode() + body, capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupFailed(f"psql: {done.stderr.decode(errors='replace').strip()}")
