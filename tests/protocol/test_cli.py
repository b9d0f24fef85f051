"""``osos iec parse`` through the package's own Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osos.cli.iec import app

from .conftest import DATA

runner = CliRunner()
SAMPLES = sorted(p.name for p in DATA.glob("*.txt"))


def run_json(path: Path) -> dict[str, object]:
    result = runner.invoke(app, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_parses_to_the_json_shape(name: str) -> None:
    data = run_json(DATA / name)
    assert set(data) == {"identification", "values", "profile", "errors"}
    assert data["errors"] == []
    ident = data["identification"]
    assert ident is None or set(ident) == {"flag", "baud", "ident"}  # type: ignore[arg-type]
    for value in data["values"]:  # type: ignore[attr-defined]
        assert set(value) == {"obis", "value", "unit", "time"}
    for record in data["profile"]:  # type: ignore[attr-defined]
        assert set(record) == {"time", "values", "status"}


def test_makel_json_values() -> None:
    data = run_json(DATA / "makel-c520.txt")
    values = {v["obis"]: v for v in data["values"]}  # type: ignore[attr-defined]
    assert data["identification"] is None
    assert values["1.8.0"] == {"obis": "1.8.0", "value": "70.677", "unit": "kWh", "time": None}
    assert values["1.6.0"]["time"] == "2023-06-06T18:45:00"
    assert values["1.6.0*2"]["time"] is None
    assert values["0.0.0"]["unit"] is None


def test_emh_json_identification() -> None:
    data = run_json(DATA / "emh-em4tii-readout.txt")
    assert data["identification"] == {"flag": "EMH", "baud": 9600, "ident": "D4EM4TIIW001--"}
    values = {v["obis"]: v["value"] for v in data["values"]}  # type: ignore[attr-defined]
    assert values["1-0:1.8.0*255"] == "0.0"


def test_profile_json() -> None:
    data = run_json(DATA / "emh-lzqj-p01-6ch.txt")
    first = data["profile"][0]  # type: ignore[index]
    assert first["time"] == "2022-08-23T16:15:00"
    assert first["values"]["1.5"] == "0.18374"
    assert first["status"] == "00000000"


def test_table_output() -> None:
    result = runner.invoke(app, ["parse", str(DATA / "metcom-mcs301-p01-1.txt")])
    assert result.exit_code == 0
    assert "Load profile (4 records)" in result.stdout
    assert "2022-08-23T15:45:00" in result.stdout and "0.04656" in result.stdout
    result = runner.invoke(app, ["parse", str(DATA / "makel-c520.txt")])
    assert "Values (70)" in result.stdout and "70.677" in result.stdout


def test_bad_bcc_is_reported(tmp_path: Path) -> None:
    data = (DATA / "emh-em4tii-readout.txt").read_bytes().replace(b"(6.00", b"(7.00")
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    out = run_json(path)
    assert any("bad BCC" in e for e in out["errors"])  # type: ignore[attr-defined]
    table = runner.invoke(app, ["parse", str(path)])
    assert "Errors (1)" in table.stdout


@pytest.mark.parametrize("content", [b"", b"hello world\n", b'{"a": 1}', bytes(range(256))])
def test_not_a_readout_exits_2_with_message(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    result = runner.invoke(app, ["parse", str(path), "--json"])
    assert result.exit_code == 2
    assert "not an IEC 62056-21 readout" in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
