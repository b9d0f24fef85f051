"""Scope evaluation over a stored registry, on both databases, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from typer.testing import CliRunner

from osos.cli import app
from osos.domain import CommMode, Connection, Generation, ReadSource, TariffGroup
from osos.readings import ReadValue
from osos.runtime import Runtime
from osos.scope.service import (
    add_company_decision,
    decide_inclusion,
    evaluate_scope,
    request_inclusion,
)
from osos.store import db
from osos.store.ingest import store_readout
from tests import factories as f

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _registry(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        f.service_point(s, "TR1", connection=Connection.TRANSMISSION)
        f.service_point(s, "BIG", comm_mode=None)
        big_old = f.service_point(s, "BIGOLD", comm_mode=CommMode.NONE)
        small = f.service_point(s, "SMALL", ct=Decimal(1))
        gen = f.service_point(s, "GEN", generation=Generation.UNLICENSED)
        f.service_point(s, "GENCONS", comm_mode=None, linked_generation_id=gen.id)
        f.service_point(s, "LIC", generation=Generation.LICENSED, balancing_unit=True)
        f.service_point(s, "EXCH", exchange_point=True)
        f.service_point(s, "LAMP", comm_mode=None, tariff_group=TariffGroup.LIGHTING)
        g1 = f.service_point(s, "G1", host="10.1.1.1", port=4059)
        g2 = f.service_point(s, "G2", host="10.1.1.1", port=4059)
        f.service_point(s, "VOL", comm_mode=None)
        f.service_point(s, "DEC", comm_mode=None)
        # BIGOLD's meter is read by hand-held terminal only: not in OSOS, but its data is stored
        f.index_rows(
            s,
            f.meter_id(s, big_old),
            [
                (AT - dt.timedelta(days=300), Decimal("1000")),
                (AT - dt.timedelta(days=1), Decimal("71000")),
            ],
        )
        f.index_rows(
            s,
            f.meter_id(s, small),
            [
                (AT - dt.timedelta(days=200), Decimal("10")),
                (AT - dt.timedelta(days=10), Decimal("5010")),
            ],
        )
        for g in (g1, g2):
            f.index_rows(
                s,
                f.meter_id(s, g),
                [(AT - dt.timedelta(days=365), Decimal("0")), (AT, Decimal("30000"))],
            )
        rid = request_inclusion(s, "VOL", requested_by="Tedarikçi A", at=AT)
        decide_inclusion(s, rid, approve=True, decided_by="operator", at=AT)
        add_company_decision(s, "DEC", reason="critical load", decided_by="operator", at=AT)


def test_evaluate_registry(runtime: Runtime) -> None:
    _registry(runtime)
    with db.transaction(runtime.sessions) as s:
        result = {e.service_point: e for e in evaluate_scope(s, AT)}
    assert result["TR1"].rules == ("transmission",) and result["TR1"].in_osos
    assert result["BIGOLD"].rules == ("above_limit",) and not result["BIGOLD"].in_osos
    assert "85.5 MWh" in result["BIGOLD"].reason  # 70 MWh over 299 days, annualised
    assert result["SMALL"].rules == () and not result["SMALL"].must_include
    assert result["GEN"].rules == ("unlicensed_generation",)
    assert result["GENCONS"].rules == ("unlicensed_generation_consumption",)
    assert result["GENCONS"].missing
    assert result["LIC"].rules == (
        "licensed_generation_consumption",
        "licensed_generation_injection",
        "balancing_unit",
    )
    assert result["EXCH"].rules == ("distribution_exchange",)
    assert result["LAMP"].rules == ("public_lighting",) and result["LAMP"].missing
    assert result["G1"].rules == ("group_above_limit",)
    assert result["G2"].rules == ("group_above_limit",)
    assert result["VOL"].rules == ("voluntary",)
    assert result["DEC"].rules == ("company_decision",)
    assert result["BIG"].rules == ()  # no data, no rule


def test_cli_json_and_plan(runtime: Runtime) -> None:
    runtime.upgrade()
    _registry(runtime)
    out = CliRunner().invoke(app, ["scope", "evaluate", "--json", "--at", "2026-11-01T03:00"])
    assert out.exit_code == 0, out.output
    rows = {r["service_point"]: r for r in json.loads(out.output)}
    assert rows["LAMP"] == {
        "service_point": "LAMP",
        "rules": ["public_lighting"],
        "in_osos": False,
        "must_include": True,
        "reason": rows["LAMP"]["reason"],
        "ruleset": "Akıllı Sayaç Usul ve Esasları 2026 (RG 05.12.2025)",
        "annual_kwh": None,
        "annual_source": None,
    }
    text = CliRunner().invoke(app, ["scope", "evaluate", "--at", "2026-11-01"])
    assert text.exit_code == 0
    plan = text.output.split("Work plan")[1]
    assert "GENCONS" in plan and "LAMP" in plan and "TR1" not in plan
    bad = CliRunner().invoke(app, ["scope", "evaluate", "--at", "yesterday"])
    assert bad.exit_code != 0 and "--at" in bad.output


def test_cli_voluntary_and_company_decision(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        f.service_point(s, "V1", comm_mode=None)
        f.service_point(s, "C1", comm_mode=None)
    runner = CliRunner()
    out = runner.invoke(app, ["scope", "request", "V1", "--by", "Tedarikçi A"])
    assert out.exit_code == 0, out.output
    request_id = out.output.split()[2]
    before = json.loads(runner.invoke(app, ["scope", "evaluate", "--json"]).output)
    assert {r["service_point"]: r["rules"] for r in before}["V1"] == []  # not yet approved
    assert runner.invoke(app, ["scope", "decide", request_id, "approve"]).exit_code == 0
    assert runner.invoke(app, ["scope", "require", "C1", "--reason", "kritik yük"]).exit_code == 0
    after = {
        r["service_point"]: r
        for r in json.loads(runner.invoke(app, ["scope", "evaluate", "--json"]).output)
    }
    assert after["V1"]["rules"] == ["voluntary"] and after["C1"]["rules"] == ["company_decision"]
    assert after["C1"]["must_include"] and not after["C1"]["in_osos"]
    missing = runner.invoke(app, ["scope", "require", "NOPE", "--reason", "x"])
    assert missing.exit_code == 2 and "NOPE" in missing.output
    bad = runner.invoke(app, ["scope", "decide", request_id, "maybe"])
    assert bad.exit_code != 0


def test_a_year_of_register_readings_decides_the_limit(runtime: Runtime) -> None:
    """Read by hand twice, 13 months apart, no profile and no modem: the register difference
    pro-rated to a year puts it above the limit, and the reason says where the figure came
    from; a later month result or the contract power only count when nothing better is."""
    with db.transaction(runtime.sessions) as s:
        hand = f.service_point(s, "HAND", comm_mode=CommMode.NONE)
        meter_id = f.meter_id(s, hand)
        for when, value in (
            (AT - dt.timedelta(days=395), "1000"),
            (AT - dt.timedelta(days=5), "91000"),
        ):
            store_readout(
                s, meter_id=meter_id, read_at=when, raw=f"1.8.0({value})".encode() + bytes(4),
                values=[ReadValue(address="1.8.0", value=value, number=Decimal(value), unit="kWh")],
                source=ReadSource.INGEST,
            )  # fmt: skip
        f.service_point(s, "NEW", comm_mode=None, contract_power_kw=Decimal(100))
    with db.transaction(runtime.sessions) as s:
        result = {e.service_point: e for e in evaluate_scope(s, AT)}
    hand_eval = result["HAND"]
    assert hand_eval.rules == ("above_limit",) and hand_eval.annual_source == "registers"
    assert hand_eval.annual_kwh == Decimal("84230.769")  # 90 MWh over 390 days, to a year
    assert "endeks okumalarından" in hand_eval.reason and "register readings" in hand_eval.reason
    new = result["NEW"]  # 100 kW × 8760 h × 0.30 = 262.8 MWh, said to be an estimate
    assert new.annual_source == "contract" and "contract power" in new.reason


def test_smart_meter_obligations_in_the_cli(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        for no in ("P1", "P2"):
            sp = f.service_point(s, no)
            f.index_rows(
                s,
                f.meter_id(s, sp),
                [(AT - dt.timedelta(days=365), Decimal("0")), (AT, Decimal("20000"))],
            )
    out = CliRunner().invoke(app, ["scope", "smart-meters", "--json", "--at", "2026-11-01T03:00"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.output)
    assert plan["sites_above_limit"] == 2 and plan["sites_with_pro"] == 0
    assert [s["due"] for s in plan["steps"]] == ["2027-01-01", "2028-01-01"] * 2
    assert plan["steps"][0]["required"] == 2 and plan["steps"][0]["missing"] == ["P1", "P2"]
    before = CliRunner().invoke(app, ["scope", "smart-meters", "--at", "2026-02-01"])
    assert before.exit_code == 1 and "no smart-meter obligations" in before.output
    text = CliRunner().invoke(app, ["scope", "evaluate", "--at", "2026-11-01T03:00"]).output
    assert "Akıllı Sayaç PRO" in text and "by 2027-01-01: 0/2" in text
