"""Issue 13 part 6 fixes outside the screens: the back office's read rate leaves removed
meters out; ``osos read`` refuses a meter it cannot call, recording nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from typer.testing import CliRunner

from osos.cli import app
from osos.domain import CommMode
from osos.runtime import Runtime
from osos.store import db
from osos.store.models import CommLogEntry
from osos.store.models.headend import ReadJob
from osos.timeutil import local_date, local_midnight
from osos.web.operations import coverage_today
from tests.factories import (
    add_meter,
    add_service_point,
    install,
    profile_records,
    store_intervals,
)

ZERO = {o: Decimal(0) for o in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")}


def test_the_read_rate_counts_only_meters_installed_now(runtime: Runtime) -> None:
    runtime.upgrade()
    now = runtime.clock.now()
    midnight = local_midnight(local_date(now))
    with db.transaction(runtime.sessions) as session:
        sp = add_service_point(session, "HN1")
        old, new = add_meter(session, "OLD"), add_meter(session, "NEW")
        for meter in (old, new):
            meter.comm_mode, meter.host, meter.port = CommMode.DIAL_OUT, "127.0.0.1", 1
        install(session, sp, old, now - dt.timedelta(days=30), removed=now - dt.timedelta(days=2))
        install(session, sp, new, now - dt.timedelta(days=2))
        records, _ = profile_records(midnight, midnight + dt.timedelta(minutes=15), ZERO)
        store_intervals(session, new, records[1:])
        coverage = coverage_today(session, now)
    if now - midnight >= dt.timedelta(minutes=15):
        assert (coverage.meters, coverage.read_today, coverage.percent) == (1, 1, 100)
    else:
        assert coverage.meters == 1  # the removed meter is not expected to answer


def test_read_refuses_a_meter_without_a_modem(runtime: Runtime) -> None:
    runtime.upgrade()
    with db.transaction(runtime.sessions) as session:
        sp = add_service_point(session, "HN2")
        meter = add_meter(session, "ELTERMINALI")  # comm mode none: a hand-held terminal's
        install(session, sp, meter, runtime.clock.now() - dt.timedelta(days=1))
    result = CliRunner().invoke(app, ["read", "ELTERMINALI"])
    assert result.exit_code == 2, result.output
    assert "has no modem" in result.output and "osos ingest" in result.output
    assert "None:None" not in result.output
    with db.transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(CommLogEntry)) == 0
        assert session.scalar(select(func.count()).select_from(ReadJob)) == 0
