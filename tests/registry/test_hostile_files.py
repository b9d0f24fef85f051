"""Hostile and damaged import files: a row-numbered refusal, never a traceback, never a cut row
taken for a valid one (issue 12, items 1 and 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from osos.cli import app
from osos.errors import ImportFailed
from osos.registry.reader import read_table
from osos.runtime import Runtime
from tests.conftest import DATA

runner = CliRunner()
REGISTRY = (DATA / "registry.csv").read_text(encoding="utf-8").splitlines()
HEADER, FIRST, SECOND = REGISTRY[0], REGISTRY[1], REGISTRY[2]
PROFILE_HEADER = "meter_serial;time;1.8.0"


def _registry_row(**replace: str) -> str:
    row = FIRST
    for old, new in replace.items():
        row = row.replace(old, new)
    return row


HOSTILE = {
    "long cell": (
        "registry",
        _registry_row(**{"Saray OM": "S" * 140_000}),
        "row 2: field larger than field limit",
    ),
    "year 1": (
        "registry",
        _registry_row(**{"2024-03-01T10:00": "0001-01-01T00:00"}),
        "row 2, column installed_at",
    ),
    "huge number": (
        "registry",
        _registry_row(**{";18000;": ";1e999999;"}),
        "row 2, column contract_power_kw",
    ),
    "NUL": ("registry", _registry_row(**{"Saray OM": "Saray\x00OM"}), "row 2, column center"),
    "profile long": ("profile", "30246633;2026-01-01T00:15;" + "1" * 140_000, "row 2: field"),
    "profile year 1": ("profile", "30246633;0001-01-01T00:00;1.000", "row 2, column time"),
    "profile huge": ("profile", "30246633;2026-01-01T00:15;1e999999", "row 2"),
    "profile NUL": ("profile", "30246633;2026-01-01T00:15;1.0\x00", "row 2, column 1.8.0"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_by_row(runtime: Runtime, tmp_path: Path, case: str) -> None:
    kind, row, expected = HOSTILE[case]
    registry = runner.invoke(app, ["import", "registry", str(DATA / "registry.csv")])
    assert registry.exit_code == 0, registry.output
    header = HEADER if kind == "registry" else PROFILE_HEADER
    path = tmp_path / f"{kind}.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", kind, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert "nothing imported" in result.output


def test_every_cut_inside_the_last_row_is_refused(tmp_path: Path) -> None:
    """A file cut anywhere inside its last row (an interrupted copy) never yields that row."""
    path = tmp_path / "cut.csv"
    head = f"{HEADER}\n{FIRST}\n"
    cuts = 0
    for end in range(1, len(SECOND) + 1):
        path.write_text(head + SECOND[:end], encoding="utf-8")
        with pytest.raises(ImportFailed) as refused:
            read_table(path)
        assert any(e.startswith("row 3") for e in refused.value.errors), refused.value.errors
        cuts += 1
    assert cuts == len(SECOND) > 250
    path.write_text(head + SECOND + "\n", encoding="utf-8")
    assert [n for n, _ in read_table(path).rows] == [2, 3]


def test_a_row_with_missing_cells_is_refused_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    short = SECOND[: SECOND.index("2024-03-01T10:00") + 10]
    path.write_text(f"{HEADER}\n{short}\n{FIRST}\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as refused:
        read_table(path)
    assert refused.value.errors[0].startswith("row 2: 23 cells where the header has 33")
