"""The typed channels of the interval table: OBIS code ↔ column, stored as integer milli-units.

A kWh index with three decimals becomes an exact integer in Wh, a voltage of 241.16 V becomes
241160 mV. One table here, so the store, the MDM and the web agree on what a column holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from osos.errors import DataRejected

SCALE = 1000  # milli-units


class ChannelKind(StrEnum):
    INDEX = "index"  # cumulative register (kWh, kvarh)
    POWER = "power"  # average power over the interval (kW)
    VOLTAGE = "voltage"
    CURRENT = "current"


@dataclass(frozen=True)
class Channel:
    obis: str
    column: str
    unit: str
    kind: ChannelKind


CHANNELS: tuple[Channel, ...] = (
    Channel("1.8.0", "r1_8_0", "kWh", ChannelKind.INDEX),
    Channel("1.8.1", "r1_8_1", "kWh", ChannelKind.INDEX),
    Channel("1.8.2", "r1_8_2", "kWh", ChannelKind.INDEX),
    Channel("1.8.3", "r1_8_3", "kWh", ChannelKind.INDEX),
    Channel("2.8.0", "r2_8_0", "kWh", ChannelKind.INDEX),
    Channel("5.8.0", "r5_8_0", "kvarh", ChannelKind.INDEX),
    Channel("6.8.0", "r6_8_0", "kvarh", ChannelKind.INDEX),
    Channel("7.8.0", "r7_8_0", "kvarh", ChannelKind.INDEX),
    Channel("8.8.0", "r8_8_0", "kvarh", ChannelKind.INDEX),
    Channel("1.6.0", "r1_6_0", "kW", ChannelKind.POWER),
    Channel("2.6.0", "r2_6_0", "kW", ChannelKind.POWER),
    Channel("32.7.0", "r32_7_0", "V", ChannelKind.VOLTAGE),
    Channel("52.7.0", "r52_7_0", "V", ChannelKind.VOLTAGE),
    Channel("72.7.0", "r72_7_0", "V", ChannelKind.VOLTAGE),
    Channel("31.7.0", "r31_7_0", "A", ChannelKind.CURRENT),
    Channel("51.7.0", "r51_7_0", "A", ChannelKind.CURRENT),
    Channel("71.7.0", "r71_7_0", "A", ChannelKind.CURRENT),
)
BY_OBIS: dict[str, Channel] = {c.obis: c for c in CHANNELS}
BY_COLUMN: dict[str, Channel] = {c.column: c for c in CHANNELS}
INDEX_OBIS: tuple[str, ...] = tuple(c.obis for c in CHANNELS if c.kind is ChannelKind.INDEX)


def to_milli(value: Decimal) -> int:
    """Exact Decimal → integer milli-units; refuses values finer than 0.001 instead of rounding."""
    try:
        scaled = value * SCALE
    except ArithmeticError:  # 1e999999: beyond the decimal context's exponent
        raise DataRejected(f"{value} is too large to store") from None
    if scaled != scaled.to_integral_value():
        raise DataRejected(f"{value} has more than three decimals; it cannot be stored exactly")
    if abs(scaled) >= 2**63:  # the interval columns are 64-bit integers
        raise DataRejected(f"{value} is too large to store")
    return int(scaled)


def from_milli(value: int) -> Decimal:
    """Integer milli-units → Decimal with three decimals (e.g. 70677 → Decimal('70.677'))."""
    return Decimal(value).scaleb(-3)
