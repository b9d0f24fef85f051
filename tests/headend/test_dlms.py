"""The head-end reads DLMS/COSEM meters beside IEC 62056-21 ones, into the same tables, on
SQLite and PostgreSQL: the IP wrapper (public client), HDLC over TCP with low-level security,
HLS-GMAC with ciphering (its frame counter reserved in the database, never repeated after a
restart), faults retried, a profile resumed from the last stored interval after a drop."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from osos.channels import BY_OBIS, from_milli
from osos.domain import Protocol, UserKind
from osos.headend import frame_counters
from osos.headend.commlog import comm_log
from osos.headend.config import HeadendConfig
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.protocol.dlms.capture import parse_capture
from osos.runtime import Runtime
from osos.simulator import Fleet, dlms_session, import_total
from osos.simulator.faults import Fault
from osos.simulator.spec import MeterSpec
from osos.store.models import CommLogEntry, Readout, ReadoutValue, profile_intervals
from osos.store.models.headend import DlmsFrameCounter
from osos.store.raw import raw_of
from osos.timeutil import UTC, FixedClock
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
EK = "000102030405060708090a0b0c0d0e0f"
AK = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
OP_PASSWORD = "Tekirdag-Okuma-7391"
DROP_AT = 1500  # the meter has sent the registers and two of the profile's hours
CONFIG = HeadendConfig(
    concurrency=10,
    timeouts=Timeouts(connect=10, inter_byte=8, step=60, session=600),
    backoff=Backoff(dt.timedelta(minutes=1), 2, dt.timedelta(minutes=30)),
    max_attempts=4,
    initial_backfill=dt.timedelta(hours=4),
    profile_chunk=dt.timedelta(hours=1),
)
SPECS = [
    MeterSpec("30000001", family="makel-c520", seed=1, password="11112222", port=0),
    MeterSpec("30000002", family="emh-lzqj", seed=2, password="33334444", port=0),
    MeterSpec("D0001", protocol="dlms", seed=3, port=0),
    MeterSpec("D0002", protocol="dlms-hdlc", seed=4, port=0, lls_password="87654321"),
    MeterSpec("D0003", protocol="dlms", seed=5, port=0, dlms_keys=(EK, AK)),
    MeterSpec("D0004", protocol="dlms", seed=6, port=0),
    MeterSpec("D0005", protocol="dlms-mode-e", seed=7, port=0),
]
DLMS_COLUMNS = {
    "D0001": {"protocol": Protocol.DLMS},
    "D0002": {
        "protocol": Protocol.DLMS_HDLC,
        "dlms_authentication": "lls",
        "dlms_server_physical": 17,
    },
    "D0003": {
        "protocol": Protocol.DLMS,
        "dlms_authentication": "hls-gmac",
        "dlms_encryption_key": EK,
        "dlms_authentication_key": AK,
    },
    "D0004": {"protocol": Protocol.DLMS},
    "D0005": {"protocol": Protocol.DLMS_MODE_E, "dlms_server_physical": 17},
}


def _rows(fleet: Fleet, specs: list[MeterSpec] = SPECS) -> list[MeterRow]:
    rows = []
    for spec in specs:
        dlms = spec.protocol != "iec"
        rows.append(
            MeterRow(
                spec.serial,
                flag=spec.meter_flag,
                port=fleet.port(spec.serial),
                password=spec.lls_password
                if spec.serial == "D0002"
                else (None if dlms else spec.password),
                balancing_unit=True,
                meter=DLMS_COLUMNS.get(spec.serial, {}),
            )
        )
    return rows


def _profile(runtime: Runtime, meter_id: int) -> list[tuple[dt.datetime, Decimal]]:
    table = profile_intervals
    column = table.c[BY_OBIS["1.8.0"].column]
    with runtime.sessions() as session:
        rows = session.execute(
            select(table.c.end_at, column).where(table.c.meter_id == meter_id).order_by("end_at")
        )
        return [(end, from_milli(int(value))) for end, value in rows]


def _check_dlms(runtime: Runtime, fleet: Fleet, serial: str, meter_id: int) -> int:
    """Stored intervals: contiguous quarters whose 1.8.0 is the model's; the readout's 1.8.0
    is the model's at the read; its raw bytes are the session's frames."""
    model = fleet.meter(serial)
    stored = _profile(runtime, meter_id)
    assert stored, serial
    ends = [end for end, _ in stored]
    assert ends == [ends[0] + dt.timedelta(minutes=15 * i) for i in range(len(ends))], serial
    for end, value in stored:
        registers = model.registers_at(model.clock.true_time(end) or end)
        assert value == Decimal(import_total(registers)).scaleb(-3), (serial, end)
    with runtime.sessions() as session:
        readout = session.scalars(
            select(Readout).where(Readout.meter_id == meter_id, Readout.kind == "readout")
        ).first()
        assert readout is not None, serial
        values = {
            v.obis: v
            for v in session.scalars(
                select(ReadoutValue).where(ReadoutValue.readout_id == readout.id)
            )
        }
        raw = raw_of(session, readout.id)
    expected = Decimal(import_total(model.registers_at(readout.read_at))).scaleb(-3)
    assert Decimal(values["1.8.0"].value) == expected and values["1.8.0"].unit == "kWh"
    assert {"32.7.0", "96.1.0"} <= set(values)
    assert raw is not None
    capture = parse_capture(raw.raw)  # osos dlms parse decodes what is stored
    kinds = {apdu["kind"] for apdu in capture.apdus}
    assert 6 < len(capture.apdus) <= len(capture.frames), serial  # HDLC: SNRM, RR… too
    assert {"aarq", "aare"} <= kinds or "glo-ciphered" in str(kinds), (serial, kinds)
    return len(stored)


async def test_mixed_fleet_into_the_same_tables(runtime: Runtime) -> None:
    clock = FixedClock(T0)
    async with Fleet(SPECS, clock=clock) as fleet:
        ids = add_meters(runtime, _rows(fleet))
        fleet.set_fault("D0004", Fault.NO_ANSWER, 1)
        fleet.set_fault("30000002", Fault.NO_ANSWER, 1)
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)

        first = {r.serial: r for r in await scheduler.run_once()}
        assert {s for s, r in first.items() if r.outcome != "ok"} == {"D0004", "30000002"}
        with runtime.sessions() as session:
            (entry,) = comm_log(session, ids["D0004"])
            assert entry.outcome == "failed" and "association" in (entry.error or "")
            assert entry.transcript  # the frames sent, kept on failure

        clock.advance(dt.timedelta(minutes=1))
        retried = {r.serial: r for r in await scheduler.run_once()}
        assert set(retried) == {"D0004", "30000002"}
        assert {r.outcome for r in retried.values()} == {"ok"}

        for serial in ("D0001", "D0002", "D0003", "D0004", "D0005"):
            assert _check_dlms(runtime, fleet, serial, ids[serial]) >= 16
        iec = _profile(runtime, ids["30000001"])
        dlms = _profile(runtime, ids["D0001"])
        assert [e for e, _ in iec] == [e for e, _ in dlms]  # the same quarters, one protocol each
        assert first["D0002"].clock is not None  # the management client checked the clock
        with runtime.sessions() as session:
            mode_e = session.scalars(
                select(Readout).where(Readout.meter_id == ids["D0005"], Readout.kind == "readout")
            ).first()
            assert mode_e is not None and mode_e.identification == "/MSY5\\2D0005"
        with runtime.sessions() as session:
            counter = session.get(DlmsFrameCounter, ids["D0003"])
            assert counter is not None and counter.next_value == frame_counters.BLOCK


async def test_profile_resumes_after_a_drop_and_the_counter_survives_a_restart(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(T0)
    specs = [dataclasses.replace(SPECS[4])]
    async with Fleet(specs, clock=clock) as fleet:
        (meter_id,) = add_meters(runtime, _rows(fleet, specs)).values()
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
        assert [r.outcome for r in await scheduler.run_once()] == ["ok"]
        before = _profile(runtime, meter_id)[-1][0]

        clock.advance(dt.timedelta(hours=3))
        # the line drops once the meter has sent this much: in the profile's third hour
        monkeypatch.setattr(dlms_session, "DROP_AFTER_BYTES", DROP_AT)
        fleet.set_fault("D0003", Fault.DROP, 1)
        (dropped,) = await scheduler.run_once()
        assert dropped.outcome != "ok"
        partial = _profile(runtime, meter_id)
        # the chunks that arrived whole were stored: the profile moved on, with a gap left
        assert before < partial[-1][0] < dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

        # a restart: a new scheduler, the counter block comes from the database
        clock.advance(dt.timedelta(minutes=1))
        restarted = Scheduler(runtime, clock=clock, config=CONFIG)
        (resumed,) = await restarted.run_once()
        assert resumed.outcome == "ok"
        assert resumed.profile_range is not None
        assert resumed.profile_range[0] == partial[-1][0] + dt.timedelta(minutes=1)
        _check_dlms(runtime, fleet, "D0003", meter_id)
        assert _profile(runtime, meter_id)[-1][0] == dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        with runtime.sessions() as session:
            counter = session.get(DlmsFrameCounter, meter_id)
            assert counter is not None and counter.next_value == 3 * frame_counters.BLOCK
        # the meter refuses a repeated counter: every call got past its predecessor's
        assert fleet.device("D0003").sessions >= 3


async def test_secrets_are_sealed_in_the_database(runtime: Runtime) -> None:
    async with Fleet(SPECS[2:5], clock=FixedClock(T0)) as fleet:
        ids = add_meters(runtime, _rows(fleet, SPECS[2:5]))
    with runtime.engine.connect() as connection:
        stored = connection.execute(
            text(
                "select password, dlms_encryption_key, dlms_authentication_key "
                "from meters where id in (:a, :b)"
            ),
            {"a": ids["D0002"], "b": ids["D0003"]},
        ).all()
        count = connection.execute(select(func.count()).select_from(text("meters"))).scalar()
    cells = [cell for row in stored for cell in row if cell is not None]
    assert count == 3 and len(cells) == 3
    assert all(cell.startswith("sealed:v1:") for cell in cells)
    assert not any(secret in cell for cell in cells for secret in ("87654321", EK, AK))


async def test_secrets_stay_out_of_logs_transcripts_pages_and_files(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """An LLS and an HLS meter read, an IEC meter whose password is refused (its transcript
    kept): no password or key in the log, the stored bytes, the back office or the files."""
    from fastapi.testclient import TestClient

    from osos.identity.accounts import create_user
    from osos.store.db import transaction
    from osos.web.app import create_app
    from tests.web.moved import log_in

    specs = [SPECS[0], SPECS[3], SPECS[4]]
    secrets = ("11112222", "87654321", EK, AK)
    caplog.set_level("DEBUG")
    clock = FixedClock(T0)
    async with Fleet(specs, clock=clock) as fleet:
        add_meters(runtime, _rows(fleet, specs))
        fleet.set_fault("30000001", Fault.WRONG_PASSWORD, 1)
        reports = {
            r.serial: r for r in await Scheduler(runtime, clock=clock, config=CONFIG).run_once()
        }
    assert reports["30000001"].outcome == "partial" and reports["D0002"].outcome == "ok"
    assert not any(s in caplog.text for s in secrets)
    with runtime.engine.connect() as connection:
        stored = [
            bytes(raw)
            for (raw,) in connection.execute(
                text("select raw from readout_raw union all select transcript from comm_log")
            )
            if raw is not None
        ]
    assert any(b"P1\x02(********)" in raw for raw in stored), [
        r[:400] for r in stored if b"P1" in r
    ]
    keys = [bytes.fromhex(k) for k in (EK, AK)]
    assert not any(key in raw for raw in stored for key in keys)
    assert not any(s.encode() in raw for raw in stored for s in secrets)

    with transaction(runtime.sessions) as session:
        create_user(
            session, kind=UserKind.OPERATOR, login="op@osos.test", password="Tekirdag-Okuma-7391"
        )
    with TestClient(create_app(runtime)) as client:
        assert log_in(client, "op@osos.test", "personel", OP_PASSWORD) in (302, 303)
        pages = [client.get(f"/yonetim/sayac/{s.serial}") for s in specs]
        pages += [client.get("/yonetim/denetim.csv"), client.get("/yonetim/hizmet-noktalari")]
        with runtime.sessions() as session:
            logged = session.scalars(
                select(CommLogEntry.id).where(CommLogEntry.transcript.is_not(None))
            ).all()
        pages += [client.get(f"/yonetim/iletisim/{i}/transcript") for i in logged]
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    assert any("30000001" in p.text for p in pages)
    for page in pages:
        assert not any(s in page.text for s in secrets)
        assert "sealed:v1:" not in page.text
