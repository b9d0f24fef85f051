"""``osos raw``: the retention of the raw bytes of every read — archive old months to one
compressed file each, verify the archived files against the stored digests."""

from __future__ import annotations

from pathlib import Path

import typer

from osos.cli.util import command_runtime, exit_on, period_option
from osos.errors import RawUnavailable
from osos.store import raw_archive

app = typer.Typer(
    help="Raw bytes of the reads: archive months past the retention to files, verify them.",
    no_args_is_help=True,
)

DIR_HELP = "Folder of the month files raw-YYYY-MM.tar.xz (default: $OSOS_HOME/raw-archive)."


@app.command()
def archive(
    before: str = typer.Option(
        "",
        "--before",
        metavar="YYYY-MM",
        help="Archive the months before this one (default: keep OSOS_RAW_RETENTION_MONTHS "
        "full months before the current one).",
    ),
    directory: Path | None = typer.Option(None, "--dir", help=DIR_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would move; change nothing."),
) -> None:
    """Move the raw bytes of whole months out of the database, one tar.xz file per month.

    One member per readout, named by its id, and a MANIFEST.tsv of sha256 digests. The file
    is written, fsynced, renamed and read back before the rows are deleted in one
    transaction; a re-run after a crash loses nothing and stores nothing twice. The panel
    and the loss detectors still find the bytes (osos.store.raw.raw_of)."""
    with command_runtime(upgrade=True) as runtime:
        settings = runtime.settings
        cut = period_option(before, "--before") if before else None
        cut = cut or raw_archive.retention_cut(runtime.clock.now(), settings.raw_retention_months)
        folder = directory or settings.home / "raw-archive"
        with runtime.sessions() as session:
            months = raw_archive.pending(session, cut)
        if not months:
            typer.echo(f"nothing to archive before {cut}")
            return
        if dry_run:
            for m in months:
                typer.echo(f"{m.month}: would move {m.readouts:,} readout(s), {m.raw_bytes:,} B")
            typer.echo(f"dry run: nothing changed ({len(months)} month(s) before {cut})")
            return
        with exit_on(RawUnavailable, OSError, code=1):
            done = raw_archive.archive(
                runtime.sessions, folder, cut, now=runtime.clock.now(), progress=typer.echo
            )
    moved = sum(d.moved for d in done)
    size = sum(d.file_bytes for d in done)
    typer.echo(f"archived {len(done)} month(s), {moved:,} readout(s), {size:,} bytes in {folder}")


@app.command()
def verify(
    directory: Path | None = typer.Option(
        None, "--dir", help="Check the month files in this folder instead of the recorded paths."
    ),
) -> None:
    """Check every archived member against the digest its readout was stored with.

    Each member is read and compared with its manifest digest and the stored one, and every
    readout of an archived month must have its bytes in the table or the file. Exit 1 on any
    problem, listing each."""
    with command_runtime(upgrade=True) as runtime, runtime.sessions() as session:
        result = raw_archive.verify(session, directory, progress=typer.echo)
    for problem in result.problems:
        typer.echo(f"problem: {problem}", err=True)
    state = f"{len(result.problems)} problem(s)" if result.problems else "all match"
    typer.echo(f"verified {result.files} file(s), {result.members:,} member(s): {state}")
    if result.problems:
        raise typer.Exit(1)
