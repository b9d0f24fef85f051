"""``osos dlms parse``: JSON of a push, decryption with keys, exit 2 naming the offset."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from osos.cli import app

from .conftest import AK, DATA, EK

runner = CliRunner()


def _parse(name: str, *options: str) -> str:
    result = runner.invoke(app, ["dlms", "parse", str(DATA / name), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_of_a_push_with_obis_values_and_scalers() -> None:
    out = json.loads(_parse("sagemcom_t210d_at_datanotification_plain.hex", "--json"))
    push = out["apdus"][0]
    assert push["kind"] == "data-notification" and push["datetime"].startswith("2024-11-15T14:45")
    energy = next(v for v in push["values"] if v.get("obis") == "1.0.1.8.0.255")
    assert (energy["value"], energy["scaler"], energy["unit"]) == (4752026, 0, "Wh")
    assert push["values"][-1]["value"] == "178210128502"


def test_frames_report_their_checks_and_ciphered_apdus_open() -> None:
    frame = json.loads(_parse("aidon_han_hdlc_ui_datanotification.hex", "--json"))["frames"][0]
    assert (frame["type"], frame["hcs_ok"], frame["fcs_ok"]) == ("UI", True, True)
    text = _parse("greenbook_aarq_ciphered_lls.hex", "--key", EK, "--auth-key", AK)
    assert "initiate-request" in text


def test_bad_bytes_exit_2_with_the_offset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hex"
    bad.write_text("7ea0 0702 2193 bd65 7e\n")
    result = runner.invoke(app, ["dlms", "parse", str(bad)])
    assert result.exit_code == 2
    assert "offset 6" in result.output and "Traceback" not in result.output
    odd = tmp_path / "odd.hex"
    odd.write_text("0f 0")
    assert runner.invoke(app, ["dlms", "parse", str(odd)]).exit_code == 2
