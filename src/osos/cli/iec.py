"""IEC 62056-21 tools: ``osos iec parse``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from osos.protocol.iec62056_21.capture import CaptureResult, parse_capture
from osos.protocol.iec62056_21.errors import NotAReadoutError
from osos.timeutil import local_iso

app = typer.Typer(help="IEC 62056-21 tools.")

#: Exit status when the input is not a readout or load profile at all.
EXIT_NOT_A_READOUT = 2


@app.callback()
def _root() -> None:
    """IEC 62056-21 tools."""


@app.command("parse")
def parse(
    file: Path = typer.Argument(..., help="Captured readout or load profile (bytes or text)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Parse a captured readout or load-profile response and show what the meter said."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_NOT_A_READOUT) from exc
    try:
        result = parse_capture(data)
    except NotAReadoutError as exc:
        typer.echo(f"error: {file} is not an IEC 62056-21 readout or load profile: {exc}", err=True)
        raise typer.Exit(EXIT_NOT_A_READOUT) from exc
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_table(result))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def render_table(result: CaptureResult) -> str:
    """A readable text rendering: identification, values, profile records, errors."""
    lines: list[str] = []
    ident = result.identification
    if ident is None:
        lines.append("Identification: (none in the capture)")
    else:
        baud = f"{ident.baud} Bd" if ident.baud else f"baud char {ident.baud_char!r}"
        lines.append(f"Identification: {ident.flag} {ident.ident!r}, up to {baud}")
    if result.values:
        lines.append("")
        lines.append(f"Values ({len(result.values)})")
        rows = [
            [ds.address, ds.value, ds.unit or "", local_iso(ds.time) or ""] for ds in result.values
        ]
        lines += _table(["OBIS", "value", "unit", "time"], rows)
    records = result.profile
    if records:
        lines.append("")
        lines.append(f"Load profile ({len(records)} records)")
        channels = list(dict.fromkeys(k for r in records for k in r.values))
        rows = []
        for record in records:
            texts = record.value_texts()
            rows.append(
                [
                    local_iso(record.time) or "",
                    *(texts.get(c, "") for c in channels),
                    record.status or "",
                ]
            )
        lines += _table(["time", *channels, "status"], rows)
    if result.errors:
        lines.append("")
        lines.append(f"Errors ({len(result.errors)})")
        lines += [f"  {error}" for error in result.errors]
    return "\n".join(lines)
