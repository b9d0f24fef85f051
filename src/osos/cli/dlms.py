"""DLMS/COSEM tools: ``osos dlms parse``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from osos.protocol.dlms.capture import CaptureReport, parse_capture
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.security import Keys

app = typer.Typer(help="DLMS/COSEM tools.")

#: Exit status for bytes that are not DLMS (or a file that cannot be read).
EXIT_BAD_INPUT = 2


@app.callback()
def _root() -> None:
    """DLMS/COSEM tools."""


def _keys(key: str | None, auth_key: str | None) -> Keys | None:
    if key is None:
        return None
    try:
        encryption = bytes.fromhex(key)
        authentication = bytes.fromhex(auth_key) if auth_key else bytes(16)
        return Keys(encryption, authentication)
    except (ValueError, DlmsError) as exc:
        raise typer.BadParameter(f"keys must be 32 hex digits: {exc}") from None


@app.command("parse")
def parse(
    file: Path = typer.Argument(..., help="Captured bytes: hex text (spaces allowed) or binary."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    key: str | None = typer.Option(None, "--key", help="Encryption key (hex) for ciphered APDUs."),
    auth_key: str | None = typer.Option(None, "--auth-key", help="Authentication key (hex)."),
    system_title: str | None = typer.Option(
        None, "--system-title", help="The sender's system title (hex) when no AARQ/AARE says it."
    ),
) -> None:
    """Decode HDLC / wrapper frames, APDUs and COSEM values of a capture."""
    keys = _keys(key, auth_key)
    try:
        title = bytes.fromhex(system_title) if system_title else None
    except ValueError:
        raise typer.BadParameter("--system-title must be 16 hex digits") from None
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    try:
        report = parse_capture(data, keys, title)
    except DlmsError as exc:
        typer.echo(f"error: {file} is not DLMS/COSEM as expected: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_text(report))


def render_text(report: CaptureReport) -> str:
    lines = [f"Frames ({len(report.frames)})"]
    for frame in report.frames:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in frame.items()))
    lines.append(f"APDUs ({len(report.apdus)})")
    for apdu in report.apdus:
        lines += _apdu_lines(apdu, "  ")
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def _apdu_lines(apdu: dict[str, Any], indent: str) -> list[str]:
    lines = [f"{indent}{apdu['kind']} ({apdu['length']} bytes)"]
    for name, value in apdu.items():
        if name in ("kind", "length"):
            continue
        if isinstance(value, dict) and "kind" in value:
            lines.append(f"{indent}  {name}:")
            lines += _apdu_lines(value, indent + "    ")
        elif name == "values" and isinstance(value, list):
            for entry in value:
                obis = entry.get("obis", "-")
                unit = f" scaler {entry['scaler']} {entry['unit']}" if "unit" in entry else ""
                lines.append(f"{indent}  {obis:<18} {entry['value']}{unit}")
        else:
            lines.append(f"{indent}  {name}: {value}")
    return lines
