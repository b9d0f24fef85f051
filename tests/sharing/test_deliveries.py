"""A simulated day of deliveries to a real local HTTP receiver: on time, late, corrected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from osos.cli import app
from osos.domain import Generation
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.board import compliance_report, delivery_board
from osos.sharing.deliveries import run_due
from osos.sharing.obligations import set_settlement_calendar
from osos.sharing.payload import canonical
from osos.sharing.transport import HttpPost
from osos.store import db
from osos.store.models.sharing import Delivery, DeliveryAlert, DeliveryCorrection
from osos.timeutil import FixedClock, parse_local
from tests import factories as f
from tests.sharing.conftest import FakeSource, Receiver

SHARING = SharingConfig()
CONFIG = SharingConfig(lookback=dt.timedelta(hours=3), http_backoff_s=0)
STEP = dt.timedelta(minutes=15)


def _registry(runtime: Runtime, source: FakeSource) -> dict[str, int]:
    with db.transaction(runtime.sessions) as s:
        bu = f.service_point(
            s,
            "BU1",
            etso_code="40Z000000000001A",
            balancing_unit=True,
            generation=Generation.LICENSED,
        )
        gen = f.service_point(
            s, "GEN1", etso_code="40Z000000000002B", generation=Generation.UNLICENSED
        )
        cons = f.service_point(s, "CONS1", etso_code="40Z000000000003C")
        f.service_point(s, "HANDHELD", comm_mode=None)  # not in OSOS: nothing to deliver
        ids = {"bu": bu.id, "gen": gen.id, "cons": cons.id}
    source.generators |= {ids["bu"], ids["gen"]}
    return ids


def _run(
    runtime: Runtime,
    clock: FixedClock,
    source: FakeSource,
    receiver: Receiver,
    until: dt.datetime,
    follow: tuple[int, ...] = (),
) -> None:
    transport = HttpPost(receiver.url, attempts=3, backoff_s=0)
    while clock.now() <= until:
        for sp in follow:
            source.read_until[sp] = clock.now()
        run_due(runtime, clock.now(), transport=transport, config=CONFIG, source=source)
        clock.advance(STEP)


def test_a_day_arrives_before_every_deadline(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    ids = _registry(runtime, fake_source)
    clock = FixedClock(parse_local("2026-10-05T00:00"))
    _run(
        runtime,
        clock,
        fake_source,
        receiver,
        parse_local("2026-10-06T03:00"),
        follow=(ids["bu"], ids["gen"]),
    )
    with db.transaction(runtime.sessions) as s:
        deliveries = s.query(Delivery).all()
        by_rule = {r: [d for d in deliveries if d.rule == r] for r in (1, 2, 3)}
        day = [
            d
            for d in by_rule[1]
            if d.period_start >= parse_local("2026-10-05")
            and d.period_start < parse_local("2026-10-06")
        ]
        assert len(day) == 24
        assert all(
            d.status == "sent" and d.sent_at is not None and d.sent_at <= d.due_at
            for d in deliveries
        )
        assert {d.service_point_id for d in by_rule[1]} == {ids["bu"]}
        gen_day = [d for d in by_rule[2] if d.period_start == parse_local("2026-10-05")]
        assert len(gen_day) == 1 and gen_day[0].sent_at == parse_local("2026-10-06T00:00")
        assert gen_day[0].due_at == parse_local("2026-10-06T02:00")
        (september,) = by_rule[3]
        assert september.service_point_id == ids["cons"]
        assert september.period_start == parse_local("2026-09-01")
        assert september.due_at == parse_local("2026-10-12T00:00")
        hashes = {d.content_sha256 for d in deliveries}
        acks = {d.ack for d in deliveries}
    assert len(receiver.received) == len(deliveries)
    assert {hashlib.sha256(canonical(r)).hexdigest() for r in receiver.received} == hashes
    assert len(acks) == len(deliveries) and all(a and a.startswith("EPIAS-") for a in acks)
    gen_json = next(
        r
        for r in receiver.received
        if r["rule"] == 2 and r["meters"][0]["datas"][0]["day"] == "2026-10-05"
    )
    (meter,) = gen_json["meters"]
    assert meter["eic"] == "40Z000000000002B" and meter["period"] == "2026-10-01"
    assert [d["period"] for d in meter["datas"]] == list(range(1, 97))
    assert meter["datas"][0]["supply"] == "1.250"
    monthly = next(r for r in receiver.received if r["rule"] == 3)
    assert len(monthly["meters"][0]["datas"]) == 720
    assert monthly["meters"][0]["datas"][-1]["withdrawal"] == "5.000"


def test_unreadable_meter_is_late_with_alert_in_time(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    ids = _registry(runtime, fake_source)
    clock = FixedClock(parse_local("2026-10-05T10:00"))
    fake_source.read_until[ids["bu"]] = parse_local("2026-10-05T10:15")  # the modem is silent
    _run(runtime, clock, fake_source, receiver, parse_local("2026-10-05T13:15"))
    hour = parse_local("2026-10-05T10:00")
    with db.transaction(runtime.sessions) as s:
        late = s.query(Delivery).filter_by(rule=1, period_start=hour).one()
        assert late.status == "pending"
        alerts = {a.kind: a for a in s.query(DeliveryAlert).filter_by(delivery_id=late.id)}
        assert alerts["at_risk"].raised_at == parse_local("2026-10-05T12:30")
        assert alerts["at_risk"].raised_at <= late.due_at - CONFIG.alert_margin
        assert alerts["overdue"].raised_at == parse_local("2026-10-05T13:15")
        board = {r.delivery_id: r for r in delivery_board(s, clock.now() - STEP)}
        assert board[late.id].state == "late" and board[late.id].seconds_left == -900
        assert delivery_board(s, clock.now() - STEP)[0].state == "late"
    # the meter answers again at 14:00: the hour goes out, late, and the ledger says by how much
    clock.set(parse_local("2026-10-05T14:00"))
    fake_source.read_until[ids["bu"]] = clock.now()
    run_due(
        runtime,
        clock.now(),
        transport=HttpPost(receiver.url, backoff_s=0),
        config=CONFIG,
        source=fake_source,
    )
    with db.transaction(runtime.sessions) as s:
        late = s.query(Delivery).filter_by(rule=1, period_start=hour).one()
        assert late.status == "sent" and late.sent_at == parse_local("2026-10-05T14:00")
        row = next(r for r in delivery_board(s, clock.now()) if r.delivery_id == late.id)
        assert row.state == "sent_late" and row.delay_s == 3600
        (rule1, _rule2, _rule3) = compliance_report(s, "2026-10", clock.now())
        assert rule1.late >= 1 and rule1.max_delay_s == 3600 and rule1.missing == 0


def test_actual_read_after_estimate_makes_a_correction(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    ids = _registry(runtime, fake_source)
    quarter = parse_local("2026-10-05T10:30")
    fake_source.estimated[ids["bu"]] = {quarter}
    transport = HttpPost(receiver.url, backoff_s=0)
    run_due(
        runtime,
        parse_local("2026-10-05T11:00"),
        transport=transport,
        config=CONFIG,
        source=fake_source,
    )
    first = [
        r
        for r in receiver.received
        if r["rule"] == 1 and r["meters"][0]["datas"][0]["period"] == 41
    ]
    assert len(first) == 1 and first[0]["meters"][0]["datas"][2]["estimated"] is True
    # nothing changed: no correction
    run_due(
        runtime,
        parse_local("2026-10-05T11:05"),
        transport=transport,
        config=CONFIG,
        source=fake_source,
    )
    with db.transaction(runtime.sessions) as s:
        assert s.query(DeliveryCorrection).count() == 0
    fake_source.estimated[ids["bu"]] = set()  # the actual read arrived
    run_due(
        runtime,
        parse_local("2026-10-05T11:10"),
        transport=transport,
        config=CONFIG,
        source=fake_source,
    )
    corrected = [r for r in receiver.received if "correction_of" in r]
    assert len(corrected) == 1
    assert corrected[0]["meters"][0]["datas"][2] == {
        "day": "2026-10-05",
        "period": 43,
        "supply": "1.250",
        "withdrawal": "0.010",
        "estimated": False,
    }
    with db.transaction(runtime.sessions) as s:
        (correction,) = s.query(DeliveryCorrection).all()
        assert correction.status == "pending" and correction.sent_at is not None
        correction_id = correction.id
    listed = CliRunner().invoke(app, ["deliver", "corrections", "--json"])
    assert [c["status"] for c in json.loads(listed.output)] == ["pending"]
    answered = CliRunner().invoke(app, ["deliver", "correction", str(correction_id), "approved"])
    assert answered.exit_code == 0, answered.output
    with db.transaction(runtime.sessions) as s:
        (rule1, _, _) = compliance_report(s, "2026-10", parse_local("2026-10-06"))
        assert rule1.corrections == {"approved": 1} and rule1.estimated == 1


def test_file_drop_from_settings_and_http_retry(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource, tmp_path: Path
) -> None:
    _registry(runtime, fake_source)
    drop = tmp_path / "drop"
    settings = dataclasses.replace(
        runtime.settings, sharing=dataclasses.replace(SHARING, delivery_url=f"file://{drop}")
    )
    file_runtime = Runtime(settings)
    try:
        summary = run_due(
            file_runtime, parse_local("2026-10-05T01:00"), config=CONFIG, source=fake_source
        )
    finally:
        file_runtime.close()
    files = sorted(p.name for p in drop.iterdir())
    assert summary.sent == len([n for n in files if n.endswith(".json")]) > 0
    assert len([n for n in files if n.endswith(".xlsx")]) == summary.sent
    sample = json.loads((drop / next(n for n in files if n.endswith(".json"))).read_text())
    assert {"rule", "created", "meters"} <= set(sample)
    receiver.fail_next = 1
    result = run_due(
        runtime,
        parse_local("2026-10-05T02:00"),
        transport=HttpPost(receiver.url, backoff_s=0),
        config=CONFIG,
        source=fake_source,
    )
    assert result.sent >= 1 and result.failed == 0
    with db.transaction(runtime.sessions) as s:
        retried = s.query(Delivery).filter(Delivery.attempts == 2).count()
        assert retried == 1


def test_calendar_moves_the_deadline_and_status_cli(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    ids = _registry(runtime, fake_source)
    fake_source.read_until[ids["cons"]] = parse_local("2026-09-20")
    run_due(
        runtime,
        parse_local("2026-10-01T01:00"),
        transport=HttpPost(receiver.url),
        config=CONFIG,
        source=fake_source,
    )
    with db.transaction(runtime.sessions) as s:
        set_settlement_calendar(
            s, "2026-09", dt.date(2026, 10, 8), dt.date(2026, 10, 6), config=CONFIG
        )
    with db.transaction(runtime.sessions) as s:
        monthly = s.query(Delivery).filter_by(rule=3).one()
        assert monthly.due_at == parse_local("2026-10-09T00:00") and monthly.status == "pending"
    out = CliRunner().invoke(app, ["deliver", "status", "--period", "2026-09", "--json"])
    assert out.exit_code == 0, out.output
    rules = json.loads(out.output)["rules"]
    assert rules[2]["missing"] == 1 and rules[2]["due"] == 1
    text = CliRunner().invoke(app, ["deliver", "status", "--period", "2026-9x"])
    assert text.exit_code != 0 and "--period" in text.output
    board = CliRunner().invoke(app, ["deliver", "board", "--json"])
    assert board.exit_code == 0 and json.loads(board.output)[0]["state"] == "late"


def test_headend_hook_throttles_and_idles_without_url(
    runtime: Runtime, tmp_path: Path, fake_source: FakeSource
) -> None:
    """The hook decides what is due (no network); the sender task sends what it made ready."""
    from osos.sharing.deliveries import DeliveryHook, delivery_transport
    from osos.sharing.sender import DeliverySender

    _registry(runtime, fake_source)
    hook = DeliveryHook(config=CONFIG, source=fake_source)
    assert hook(runtime, parse_local("2026-10-05T01:00")) is None  # no OSOS_DELIVERY_URL
    drop = tmp_path / "drop"
    with_url = Runtime(
        dataclasses.replace(
            runtime.settings,
            sharing=dataclasses.replace(SHARING, delivery_url=f"file://{drop}"),
        )
    )
    try:
        first = hook(with_url, parse_local("2026-10-05T01:00"))
        assert first is not None and first.planned > 0 and first.sent == 0
        with db.transaction(with_url.sessions) as s:
            ready = s.query(Delivery).filter(Delivery.status == "ready").count()
        assert ready > 0 and not drop.exists()  # decided, not yet sent
        assert hook(with_url, parse_local("2026-10-05T01:04")) is None  # within 5 minutes
        assert hook(with_url, parse_local("2026-10-05T01:05")) is not None
        sender = DeliverySender(with_url, delivery_transport(with_url))
        summary = sender.round()
        assert summary.sent + summary.sent_late == ready and summary.failed == 0
        assert sender.round().sent + sender.round().sent_late == 0  # nothing is sent twice
        with db.transaction(with_url.sessions) as s:
            sent = s.query(Delivery).filter(Delivery.status == "sent").count()
        assert sent == ready
        assert len(list(drop.glob("*.json"))) == ready
    finally:
        with_url.close()


def test_one_failing_service_point_does_not_stop_the_run(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    from osos.errors import NotFound

    ids = _registry(runtime, fake_source)

    def flaky(
        session: object, sp_id: int, start: dt.datetime, end: dt.datetime, minutes: int
    ) -> list[object]:
        if sp_id == ids["gen"]:
            raise NotFound("no installation")
        return list(fake_source(session, sp_id, start, end, minutes))

    summary = run_due(
        runtime,
        parse_local("2026-10-05T01:00"),
        transport=HttpPost(receiver.url, backoff_s=0),
        config=CONFIG,
        source=flaky,
    )  # type: ignore[arg-type]
    assert summary.sent >= 2 and summary.waiting == 1
    with db.transaction(runtime.sessions) as s:
        broken = s.query(Delivery).filter_by(service_point_id=ids["gen"]).one()
        assert broken.status == "pending" and "no installation" in (broken.error or "")


def test_periods_before_go_live_are_not_owed(
    runtime: Runtime, receiver: Receiver, fake_source: FakeSource
) -> None:
    """September ended before OSOS went live on 3 October: no monthly delivery is planned for
    it, while the day after go-live is owed as usual."""
    ids = _registry(runtime, fake_source)
    go_live = parse_local("2026-10-03T00:00")
    config = dataclasses.replace(CONFIG, obligations_from=go_live)
    transport = HttpPost(receiver.url, attempts=3, backoff_s=0)
    clock = FixedClock(parse_local("2026-10-05T00:00"))
    fake_source.read_until[ids["bu"]] = clock.now()
    run_due(runtime, clock.now(), transport=transport, config=config, source=fake_source)
    with db.transaction(runtime.sessions) as s:
        deliveries = s.query(Delivery).all()
    assert deliveries, "the days after go-live are owed"
    assert all(d.period_start >= go_live for d in deliveries)
    assert not [d for d in deliveries if d.rule == 3]  # September started before go-live
