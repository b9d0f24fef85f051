"""One session over the mock transport: readout, password, clock, P.01, faults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.headend.reading import MeterReader
from osos.headend.readplan import (
    ClockCheck,
    EventLogData,
    ProfileChunk,
    ReadoutData,
    ReadRequest,
    Timeouts,
)
from osos.protocol.iec62056_21.framing import add_even_parity, strip_parity
from osos.protocol.iec62056_21.messages import DataMessage
from osos.timeutil import UTC, FixedClock
from osos.transport import MockTransport

from .fakes import FakeMeter, index_at, meter_session

NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
FAST = Timeouts(inter_byte=0.05, step=1.0, session=5.0)


class Sink:
    def __init__(self) -> None:
        self.readouts: list[ReadoutData] = []
        self.chunks: list[ProfileChunk] = []
        self.clocks: list[ClockCheck] = []
        self.event_logs: list[EventLogData] = []

    async def readout(self, data: ReadoutData) -> None:
        self.readouts.append(data)

    async def profile(self, chunk: ProfileChunk) -> None:
        self.chunks.append(chunk)

    async def clock(self, check: ClockCheck) -> None:
        self.clocks.append(check)

    async def event_log(self, data: EventLogData) -> None:
        self.event_logs.append(data)


async def _read(meter: FakeMeter, request: ReadRequest, **mock: object) -> tuple[object, Sink]:
    link = MockTransport(meter_session(meter).receive_data, **mock)  # type: ignore[arg-type]
    sink = Sink()
    await link.open(timeout=1)
    outcome = await MeterReader(link, request, sink, clock=meter.clock, timeouts=FAST).run()
    return outcome, sink


async def test_readout_values_exact() -> None:
    clock = FixedClock(NOW)
    outcome, sink = await _read(FakeMeter("87654321", clock), ReadRequest("87654321"))
    assert outcome.outcome == "ok"  # type: ignore[attr-defined]
    (data,) = sink.readouts
    values = {v.obis: v for v in data.values}
    assert values["1.8.0"].number == index_at(dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC))
    assert values["1.6.0"].value_time == dt.datetime(2026, 11, 1, 12, 45, tzinfo=UTC)
    assert data.meter_time == NOW
    assert data.raw.startswith(b"\x02") and b"1.8.0(" in data.raw


async def test_profile_in_chunks_and_clock_set() -> None:
    clock = FixedClock(NOW)
    meter = FakeMeter("1", clock, drift=dt.timedelta(minutes=3))
    start = dt.datetime(2026, 10, 31, 0, 15, tzinfo=UTC)
    request = ReadRequest(
        "1", password="12345678", profile_from=start, clock_check=True, readout=False
    )
    outcome, sink = await _read(meter, request, chunk=7)
    assert outcome.error is None, outcome.error  # type: ignore[attr-defined]
    assert len(sink.chunks) == 3  # 31.10, 01.11, 02.11 (one-day chunks)
    ends = [r.end_at for c in sink.chunks for r in c.records]
    assert ends[0] == start and ends[-1] == dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    assert len(ends) == len(set(ends)) == (ends[-1] - start) // dt.timedelta(minutes=15) + 1
    assert all(r.values["1.8.0"] == index_at(r.end_at) for c in sink.chunks for r in c.records)
    (check,) = sink.clocks
    assert check.drift == dt.timedelta(minutes=3) and check.accepted
    assert ("0.9.1", "09:07:30") in meter.writes
    assert abs(meter.drift) < dt.timedelta(seconds=1)


async def test_wrong_password_fails_the_profile_step() -> None:
    clock = FixedClock(NOW)
    request = ReadRequest("1", password="00000000", profile_from=NOW - dt.timedelta(hours=1))
    outcome, sink = await _read(FakeMeter("1", clock), request)
    assert outcome.outcome == "partial"  # type: ignore[attr-defined]
    assert outcome.failed_step == "password"  # type: ignore[attr-defined]
    assert "rejected" in str(outcome.error)  # type: ignore[attr-defined]
    assert len(sink.readouts) == 1 and not sink.chunks


async def test_no_answer_times_out() -> None:
    outcome, _sink = await _read(FakeMeter("1", FixedClock(NOW)), ReadRequest("1"))
    assert outcome.outcome == "ok"  # type: ignore[attr-defined]
    link = MockTransport(lambda _data: b"")
    reader = MeterReader(link, ReadRequest("1"), Sink(), timeouts=FAST)
    silent = await reader.run()
    assert silent.outcome == "failed" and silent.failed_step == "identification"
    assert "no answer" in str(silent.error)


async def test_bad_bcc_is_repeated_then_read() -> None:
    meter = FakeMeter("1", FixedClock(NOW))
    session = meter_session(meter)
    corrupted = {"done": False}

    def handler(data: bytes) -> bytes:
        reply = session.receive_data(data)
        if reply.startswith(b"\x02") and not corrupted["done"]:
            corrupted["done"] = True
            return reply[:-1] + bytes([reply[-1] ^ 0x01])
        return reply

    link = MockTransport(handler)
    sink = Sink()
    outcome = await MeterReader(link, ReadRequest("1"), sink, timeouts=FAST).run()
    assert outcome.outcome == "ok" and outcome.bcc_errors == 1
    assert len(sink.readouts) == 1


async def test_drop_mid_profile_keeps_whole_blocks() -> None:
    meter = FakeMeter("1", FixedClock(NOW))
    session = meter_session(meter)

    def handler(data: bytes) -> bytes | None:
        reply = session.receive_data(data)
        if reply.startswith(b"\x02P.01"):
            # Re-send the profile as two partial blocks and drop the line after the first.
            text = DataMessage.from_bytes(reply).data
            lines = text.splitlines(keepends=True)
            return DataMessage("".join(lines[: len(lines) // 2]), partial=True).to_bytes()
        return reply

    def after_ack(data: bytes) -> bytes | None:
        return None if data == b"\x06" else handler(data)

    link = MockTransport(after_ack)
    sink = Sink()
    request = ReadRequest(
        "1", password="12345678", readout=False, profile_from=NOW - dt.timedelta(hours=6)
    )
    outcome = await MeterReader(link, request, sink, timeouts=FAST).run()
    assert outcome.outcome == "partial" and outcome.failed_step == "profile"
    (chunk,) = sink.chunks
    assert not chunk.complete and len(chunk.records) > 5
    assert all(r.values["1.8.0"] == index_at(r.end_at) for r in chunk.records)
    assert all(r.values["5.8.0"] == Decimal("1.500") for r in chunk.records)


async def test_software_parity_on_the_wire() -> None:
    meter = FakeMeter("1", FixedClock(NOW))
    session = meter_session(meter)
    link = MockTransport(lambda data: add_even_parity(session.receive_data(strip_parity(data))))
    request = ReadRequest("1", software_parity=True)
    outcome = await MeterReader(link, request, Sink(), timeouts=FAST).run()
    assert outcome.outcome == "ok"
    assert link.sent[0] == add_even_parity(b"/?!\r\n") != b"/?!\r\n"
