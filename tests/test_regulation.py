"""Regulatory settings as dated data: changed from a date, never back-dated, audited, applied."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from osos.cli import app
from osos.errors import InvalidInput
from osos.regulation import history, set_value, settings_at
from osos.runtime import Runtime
from osos.store import db
from osos.store.models import AuditEntry
from osos.timeutil import FixedClock, parse_local

NOW = parse_local("2026-11-15T10:00")


def test_a_change_applies_from_its_date_and_not_before(sqlite_runtime: Runtime) -> None:
    runtime = Runtime(sqlite_runtime.settings, clock=FixedClock(NOW))
    base = runtime.settings
    jan = parse_local("2027-01-01")
    with db.transaction(runtime.sessions) as s:
        set_value(
            s, base, "reactive", {"inductive_large": "18", "capacitive_large": "12"},
            valid_from=jan, by="op", reason="EPDK kararı 9999",
        )  # fmt: skip
        set_value(
            s, base, "deadlines", {"balancing_delay": 90 * 60},
            valid_from=jan, by="op", reason="test",
        )  # fmt: skip
    with db.transaction(runtime.sessions) as s:
        before = settings_at(s, base, jan - dt.timedelta(seconds=1))
        after = settings_at(s, base, jan)
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "regulation.change"))
        assert len(list(audited)) == 2
        assert [c.key for c in history(s)] == ["reactive", "deadlines"]
    assert before.reactive == base.reactive and before.sharing == base.sharing
    assert after.reactive.inductive_large == Decimal("18")
    assert after.reactive.capacitive_large == Decimal("12")
    assert after.reactive.inductive_small == base.reactive.inductive_small  # unchanged field
    assert after.sharing.balancing_delay == dt.timedelta(minutes=90)


def test_bad_changes_are_refused_by_name(sqlite_runtime: Runtime) -> None:
    runtime = Runtime(sqlite_runtime.settings, clock=FixedClock(NOW))
    later = NOW + dt.timedelta(days=1)
    with db.transaction(runtime.sessions) as s:
        for key, values, when, reason, message in (
            ("reactive", {"inductive_large": "18"}, NOW - dt.timedelta(days=1), "x", "past"),
            ("tariffs", {"x": "1"}, later, "x", "unknown setting"),
            ("reactive", {"nonsense": "1"}, later, "x", "fields are"),
            ("reactive", {"inductive_large": "çok"}, later, "x", "inductive_large"),
            ("scope", {"rulesets": ["2019"]}, later, "x", "rule sets"),
            ("reactive", {"inductive_large": "18"}, later, " ", "reason"),
        ):
            with pytest.raises(InvalidInput, match=message):
                set_value(s, runtime.settings, key, values, valid_from=when, by="op", reason=reason)


def test_the_command_line(runtime: Runtime) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "regulation", "set", "deadlines", "balancing_delay=90min", "alert_margin=1h",
            "--from", "2099-01-01", "--reason", "test",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    listed = json.loads(runner.invoke(app, ["regulation", "list", "--json"]).output)
    assert listed[0]["values"] == {"balancing_delay": 5400, "alert_margin": 3600}
    bad = runner.invoke(
        app, ["regulation", "set", "deadlines", "x=1", "--from", "2099-01-01", "--reason", "t"]
    )
    assert bad.exit_code == 2 and "fields are" in bad.output


def test_a_month_is_computed_with_the_limits_of_that_month(sqlite_runtime: Runtime) -> None:
    from osos.mdm.service import monthly_report
    from tests import factories as f

    runtime = Runtime(sqlite_runtime.settings, clock=FixedClock(NOW))
    with db.transaction(runtime.sessions) as s:
        f.service_point(s, "R1", installed_power_kva=Decimal(100))
        set_value(
            s, runtime.settings, "reactive", {"inductive_large": "18"},
            valid_from=parse_local("2027-01-01"), by="op", reason="test",
        )  # fmt: skip
    with db.transaction(runtime.sessions) as s:
        december = monthly_report(s, "R1", "2026-12", runtime.settings).to_json()
        january = monthly_report(s, "R1", "2027-01", runtime.settings).to_json()
    assert december["inductive_limit"] == "20" and january["inductive_limit"] == "18"
