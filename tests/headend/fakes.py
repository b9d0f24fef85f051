"""A small in-process meter for head-end unit tests (the simulator covers the fleet)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from osos.protocol.iec62056_21.datasets import DataSet
from osos.protocol.iec62056_21.messages import IdentificationMessage
from osos.protocol.iec62056_21.meter_session import MeterSession
from osos.protocol.iec62056_21.profile import Channel, LoadProfile, ProfileRecord
from osos.timeutil import LOCAL_TZ, Clock

CHANNELS = (Channel("1.8.0", "kWh"), Channel("5.8.0", "kvarh"))
STEP = dt.timedelta(minutes=15)


def index_at(end: dt.datetime) -> Decimal:
    """Deterministic cumulative index: 0.250 kWh per interval since 2026-01-01 UTC."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return Decimal(int((end - start) / STEP)) * Decimal("0.250")


class FakeMeter:
    """Provider for the codec's MeterSession: readout, P.01 up to 'now', clock, password."""

    def __init__(
        self,
        serial: str,
        clock: Clock,
        *,
        password: str = "12345678",
        flag: str = "XYZ",
        drift: dt.timedelta = dt.timedelta(0),
    ) -> None:
        self.serial = serial
        self.clock = clock
        self.password = password
        self.flag = flag
        self.drift = drift
        self.writes: list[tuple[str, str]] = []
        self.extra_digits = False  # profile indexes with 4 decimals (the store refuses them)

    def now(self) -> dt.datetime:
        return (self.clock.now() + self.drift).astimezone(LOCAL_TZ)

    def identification(self) -> IdentificationMessage:
        return IdentificationMessage(self.flag, "5", "FAKE.1", generation="1")

    def last_end(self) -> dt.datetime:
        now = self.clock.now()
        return now - (now - dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) % STEP

    def readout_data_sets(self) -> Sequence[DataSet]:
        now = self.now()
        return [
            DataSet.of("0.0.0", self.serial),
            DataSet.of("0.9.1", now.strftime("%H:%M:%S")),
            DataSet.of("0.9.2", now.strftime("%y-%m-%d")),
            DataSet.of("1.8.0", f"{index_at(self.last_end()):010.3f}", "kWh"),
            DataSet.of("1.6.0", "003.264", "kW", "26-11-01,15:45"),
        ]

    def profile(self, start: dt.datetime | None, end: dt.datetime | None) -> LoadProfile:
        last = self.last_end()
        end = min(end or last, last)
        first = start or end - dt.timedelta(days=2)
        when = first + (-(first - dt.datetime(2026, 1, 1, tzinfo=dt.UTC))) % STEP
        records = []
        while when <= end:
            records.append(
                ProfileRecord(
                    when.astimezone(LOCAL_TZ),
                    {
                        "1.8.0": index_at(when) + (Decimal("0.0001") if self.extra_digits else 0),
                        "5.8.0": Decimal("1.500"),
                    },
                    "00000000",
                )
            )
            when += STEP
        return LoadProfile("P.01", CHANNELS, 15, tuple(records))

    def check_password(self, password: str) -> bool:
        return password == self.password

    def read(self, address: str) -> str | None:
        now = self.now()
        if address == "0.9.1":
            return now.strftime("%H:%M:%S")
        if address == "0.9.2":
            return now.strftime("%y-%m-%d")
        return None

    def write(self, address: str, value: str) -> bool:
        self.writes.append((address, value))
        if address == "0.9.1":
            hours, minutes, seconds = (int(p) for p in value.split(":"))
            target = self.now().replace(hour=hours, minute=minutes, second=seconds)
            self.drift += target - self.now()
        return True


def meter_session(meter: FakeMeter) -> MeterSession:
    return MeterSession(meter)
