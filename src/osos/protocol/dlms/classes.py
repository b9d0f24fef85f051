"""COSEM interface classes as typed helpers that turn attribute values into meaning.

1 Data (value), 3 Register (value + scaler_unit), 4 Extended register (+ capture time),
5 Demand register (current/last average, scaler_unit, capture time, period), 7 Profile
generic (capture objects, buffer, capture period: rows with their clock, a null clock is the
previous row's + the period), 8 Clock, 15 Association LN (object list), 64 Security setup.
Numbers stay exact: a register value is ``Decimal(value).scaleb(scaler)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .axdr import Data, Tag
from .cosem import AttributeDescriptor, Obis, read_capture_object
from .dates import DateTime
from .errors import DecodeError

#: Blue Book unit enumeration → symbol (the ones meters use; others print as "unit N").
UNITS: Final[dict[int, str]] = {
    1: "a",
    2: "mo",
    3: "wk",
    4: "d",
    5: "h",
    6: "min",
    7: "s",
    8: "°",
    9: "°C",
    13: "m3",
    14: "m3",
    19: "l",
    23: "Pa",
    25: "J",
    27: "W",
    28: "VA",
    29: "var",
    30: "Wh",
    31: "VAh",
    32: "varh",
    33: "A",
    34: "C",
    35: "V",
    38: "Ω",
    44: "Hz",
    45: "1/Wh",
    46: "1/varh",
    47: "1/VAh",
    48: "V2h",
    49: "A2h",
    56: "%",
    57: "Ah",
    70: "dBm",
    72: "dB",
    254: "other",
    255: "",
}
#: A unit osos stores in thousands (kWh, kvarh, kW, kvar, kVA, kVAh).
KILO: Final = {"Wh": "kWh", "varh": "kvarh", "W": "kW", "var": "kvar", "VA": "kVA", "VAh": "kVAh"}


@dataclass(frozen=True)
class ScalerUnit:
    scaler: int = 0
    unit: int = 255

    @property
    def symbol(self) -> str:
        return UNITS.get(self.unit, f"unit {self.unit}")

    @classmethod
    def from_data(cls, value: Data) -> ScalerUnit:
        items = value.items
        if len(items) != 2:
            raise DecodeError("scaler_unit", 0, f"a structure of 2, got {len(items)}")
        return cls(items[0].as_int(), items[1].as_int())

    def to_data(self) -> Data:
        return Data.structure(Data(Tag.INTEGER, self.scaler), Data(Tag.ENUM, self.unit))

    def apply(self, value: Data) -> Decimal:
        """The exact quantity in the unit: value × 10^scaler."""
        return Decimal(value.as_int()).scaleb(self.scaler)


def in_osos_unit(quantity: Decimal, symbol: str) -> tuple[Decimal, str]:
    """Wh → kWh, var → kvar …: the unit osos stores; others unchanged."""
    if symbol in KILO:
        return quantity.scaleb(-3), KILO[symbol]
    return quantity, symbol


def clock_time(value: Data, default_deviation: int | None) -> dt.datetime | None:
    """Clock attribute 2 (or any date-time value) → aware UTC; None when not specified."""
    stamp = value.as_datetime()
    if stamp is None:
        raise DecodeError("clock", 0, f"a date-time (octet-string of 12), got {value.tag.name}")
    return stamp.to_utc(default_deviation)


@dataclass(frozen=True)
class ProfileRow:
    """One buffer row: its clock (resolved) and its values by capture object."""

    time: dt.datetime | None
    values: tuple[Data, ...]


def capture_objects(value: Data) -> tuple[AttributeDescriptor, ...]:
    """Profile generic attribute 3."""
    return tuple(read_capture_object(item) for item in value.items)


def profile_rows(
    buffer: Data,
    columns: tuple[AttributeDescriptor, ...],
    period: int,
    default_deviation: int | None,
) -> tuple[ProfileRow, ...]:
    """Profile generic attribute 2 → rows; a row whose clock is null-data gets the previous
    row's time + ``period`` seconds (the compression IDIS meters use)."""
    clock_at = next((i for i, c in enumerate(columns) if c.class_id == 8), None)
    rows = []
    previous: dt.datetime | None = None
    for index, row in enumerate(buffer.items):
        values = row.items
        if len(values) != len(columns):
            raise DecodeError(
                "profile buffer",
                index,
                f"{len(columns)} values a row (capture objects), got {len(values)}",
            )
        when: dt.datetime | None = None
        if clock_at is not None:
            stamp = values[clock_at]
            if stamp.tag in (Tag.NULL, Tag.DONT_CARE) and previous is not None and period:
                when = previous + dt.timedelta(seconds=period)
            elif stamp.tag not in (Tag.NULL, Tag.DONT_CARE):
                when = clock_time(stamp, default_deviation)
        rows.append(ProfileRow(when, values))
        previous = when
    return tuple(rows)


@dataclass(frozen=True)
class ObjectListEntry:
    class_id: int
    version: int
    obis: Obis


def object_list(value: Data) -> tuple[ObjectListEntry, ...]:
    """Association LN attribute 2: the objects the association can see."""
    out = []
    for item in value.items:
        fields = item.items
        if len(fields) < 3:
            raise DecodeError("object list", 0, "{class_id, version, logical_name, …}")
        out.append(
            ObjectListEntry(
                fields[0].as_int(), fields[1].as_int(), Obis.from_bytes(fields[2].as_bytes())
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class SecuritySetup:
    """Security setup (class 64) attributes 2–5."""

    policy: int
    suite: int
    client_title: bytes
    server_title: bytes


def date_time_data(when: dt.datetime, deviation: int, status: int = 0) -> Data:
    """The octet-string a COSEM clock holds for the instant ``when``."""
    return Data.octets(DateTime.from_utc(when, deviation, status).to_bytes())
