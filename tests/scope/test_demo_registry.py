"""``osos scope evaluate`` on the demo registry: the right rule for every kind of service point."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from osos.cli import app
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.store import db

REGISTRY = Path(__file__).parents[2] / "examples" / "registry.csv"


def test_demo_registry(sqlite_runtime: Runtime) -> None:
    with db.transaction(sqlite_runtime.sessions) as s:
        import_registry(s, REGISTRY)
    out = CliRunner().invoke(app, ["scope", "evaluate", "--json", "--at", "2026-11-27"])
    assert out.exit_code == 0, out.output
    rows = {r["service_point"]: r for r in json.loads(out.output)}
    assert len(rows) >= 55

    def rules(no: str) -> list[str]:
        return list(rows[no]["rules"])

    assert rules("2000104137") == ["transmission", "above_limit", "balancing_unit"]
    assert "transmission" in rules("2000104274")
    assert "balancing_unit" in rules("2000104411")
    assert {"licensed_generation_consumption", "licensed_generation_injection"} <= set(
        rules("2000104685")
    )
    assert rules("2000104959")[-1] == "unlicensed_generation"
    assert "unlicensed_generation_consumption" in rules("2000105096")
    assert "unlicensed_generation_consumption" in rules("2000105370")
    assert "distribution_exchange" in rules("2000105781")
    assert "public_lighting" in rules("2000105918")
    big = rows["2000111535"]  # 500 kW, no readable meter yet
    assert big["rules"] == ["above_limit"] and not big["in_osos"] and big["must_include"]
    assert "contract power" in big["reason"] and "must be added" in big["reason"]
    small = rows["2000111124"]  # 15 kW, hand-held only
    assert small["rules"] == [] and not small["must_include"]
    assert rows["2000111946"]["in_osos"]  # dial-in modem
    plan = CliRunner().invoke(app, ["scope", "evaluate", "--plan", "--json"])
    missing = {r["service_point"] for r in json.loads(plan.output)}
    assert {"2000111535", "2000111672", "2000111809"} <= missing
    assert all(not rows[no]["in_osos"] for no in missing)
