"""OBIS codes (IEC 62056-61) as Turkish meters report them: normalisation and the register table.

Turkish and VDEW meters write short codes (``1.8.0``, ``1.8.0*1``); DSMR/IDIS meters write the
full form (``1-0:1.8.0*255``). :func:`normalize_obis` maps both to the short form so the rest of
osos keys registers one way. The billing-period suffix ``*n`` (n < 255) is kept: it names a
different value (last month's frozen index), not a spelling of the same one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

_FULL = re.compile(
    r"(?:(?P<a>[0-9]{1,3})-(?P<b>[0-9]{1,3}):)?"  # ASCII digits only: int() takes any
    r"(?P<cde>[0-9A-Za-z]{1,3}(?:\.[0-9A-Za-z]{1,3}){0,3})"
    r"(?:\*(?P<f>[0-9]{1,3}))?"
)


#: Value group A of the media other than electricity (IEC 62056-61): heat cost allocator 4,
#: cooling 5, heat 6, gas 7, cold water 8, hot water 9.
UTILITY_MEDIA = frozenset({4, 5, 6, 7, 8, 9})


@functools.lru_cache(maxsize=8192)
def normalize_obis(address: str) -> str:
    """``1-0:1.8.0*255`` → ``1.8.0``; ``0-0:C.1.0*255`` → ``C.1.0``; ``1.8.0*1`` unchanged.

    Drops the ``A-B:`` prefix when B is 0 (channel 0; ``0-1:24.2.1`` keeps it, it is another
    channel) and A is abstract or electricity (``8-0:1.0.0``, water, keeps it: without its
    medium ``1.0.0`` would read as an electricity code), drops ``*255`` ("not used"), strips
    leading zeros of a billing suffix. Anything that is not an OBIS code (``P.01`` is one; a
    free-text address is not) comes back stripped. Remembered (a bounded cache): every value
    of every readout is keyed through here, and meters write few distinct addresses.
    """
    text = address.strip()
    match = _FULL.fullmatch(text)
    if match is None:
        return text
    code = match["cde"]
    a, b = match["a"], match["b"]
    if b is not None and (int(b) != 0 or int(a) in UTILITY_MEDIA):
        code = f"{int(a)}-{int(b)}:{code}"
    suffix = match["f"]
    if suffix is not None and int(suffix) != 255:
        code += f"*{int(suffix)}"
    return code


def is_obis(address: str) -> bool:
    """True for an OBIS code in short or full form (``1.8.0``, ``F.F``, ``1-0:1.8.0*255``)."""
    match = _FULL.fullmatch(address.strip())
    return match is not None and "." in match["cde"]


def base_obis(address: str) -> str:
    """The normalised code without billing suffix: ``1.8.0*2`` → ``1.8.0``."""
    return normalize_obis(address).split("*", 1)[0]


def billing_period(address: str) -> int | None:
    """The billing-period suffix: ``1.8.0*2`` → 2 (second-last reset); None for current."""
    code = normalize_obis(address)
    if "*" not in code:
        return None
    suffix = code.rsplit("*", 1)[1]
    return int(suffix) if suffix.isascii() and suffix.isdigit() else None


@dataclass(frozen=True)
class ObisInfo:
    """What a register is: Turkish and English name and canonical unit (None: no unit)."""

    code: str
    name_tr: str
    name_en: str
    unit: str | None = None


_ENTRIES: tuple[ObisInfo, ...] = (
    ObisInfo("0.0.0", "Sayaç seri no", "Meter serial number"),
    ObisInfo("96.1.0", "Sayaç seri no", "Meter serial number"),
    ObisInfo("C.1.0", "Sayaç seri no (üretici)", "Meter serial number (manufacturer)"),
    ObisInfo("0.9.1", "Sayaç saati", "Meter time"),
    ObisInfo("0.9.2", "Sayaç tarihi", "Meter date"),
    ObisInfo("0.9.5", "Haftanın günü", "Day of week"),
    ObisInfo("0.8.0", "Demand periyodu", "Demand integration period", "min"),
    ObisInfo("0.8.4", "Yük profili periyodu", "Load profile period", "min"),
    ObisInfo("0.1.0", "Demand reset sayacı", "Billing reset counter"),
    ObisInfo("0.1.2", "Demand reset zamanı", "Billing reset time"),
    ObisInfo("1.8.0", "Aktif çekiş toplam", "Active import total", "kWh"),
    ObisInfo("1.8.1", "Aktif çekiş T1 (gündüz)", "Active import T1 (day)", "kWh"),
    ObisInfo("1.8.2", "Aktif çekiş T2 (puant)", "Active import T2 (peak)", "kWh"),
    ObisInfo("1.8.3", "Aktif çekiş T3 (gece)", "Active import T3 (night)", "kWh"),
    ObisInfo("1.8.4", "Aktif çekiş T4", "Active import T4", "kWh"),
    ObisInfo("2.8.0", "Aktif veriş toplam", "Active export total", "kWh"),
    ObisInfo("2.8.1", "Aktif veriş T1", "Active export T1", "kWh"),
    ObisInfo("2.8.2", "Aktif veriş T2", "Active export T2", "kWh"),
    ObisInfo("2.8.3", "Aktif veriş T3", "Active export T3", "kWh"),
    ObisInfo("3.8.0", "Reaktif çekiş (QI+QII)", "Reactive import (QI+QII)", "kvarh"),
    ObisInfo("4.8.0", "Reaktif veriş (QIII+QIV)", "Reactive export (QIII+QIV)", "kvarh"),
    ObisInfo("5.8.0", "Reaktif endüktif (QI)", "Reactive inductive QI", "kvarh"),
    ObisInfo("6.8.0", "Reaktif kapasitif (QII)", "Reactive capacitive QII", "kvarh"),
    ObisInfo("7.8.0", "Reaktif endüktif (QIII)", "Reactive inductive QIII", "kvarh"),
    ObisInfo("8.8.0", "Reaktif kapasitif (QIV)", "Reactive capacitive QIV", "kvarh"),
    ObisInfo("1.6.0", "Maksimum demand çekiş", "Maximum demand import", "kW"),
    ObisInfo("2.6.0", "Maksimum demand veriş", "Maximum demand export", "kW"),
    ObisInfo("32.7.0", "Gerilim L1", "Voltage L1", "V"),
    ObisInfo("52.7.0", "Gerilim L2", "Voltage L2", "V"),
    ObisInfo("72.7.0", "Gerilim L3", "Voltage L3", "V"),
    ObisInfo("31.7.0", "Akım L1", "Current L1", "A"),
    ObisInfo("51.7.0", "Akım L2", "Current L2", "A"),
    ObisInfo("71.7.0", "Akım L3", "Current L3", "A"),
    ObisInfo("33.7.0", "Güç faktörü L1", "Power factor L1"),
    ObisInfo("53.7.0", "Güç faktörü L2", "Power factor L2"),
    ObisInfo("73.7.0", "Güç faktörü L3", "Power factor L3"),
    ObisInfo("14.7.0", "Frekans", "Frequency", "Hz"),
    ObisInfo("34.7.0", "Frekans", "Frequency", "Hz"),
    ObisInfo("1.5.0", "Aktif çekiş güç (periyot ortalaması)", "Active import demand", "kW"),
    ObisInfo("2.5.0", "Aktif veriş güç (periyot ortalaması)", "Active export demand", "kW"),
    ObisInfo("96.1.3", "Üretim tarihi", "Production date"),
    ObisInfo("96.2.5", "Kalibrasyon tarihi", "Calibration date"),
    ObisInfo("96.2.2", "Son tarife değişikliği", "Last tariff change"),
    ObisInfo("96.6.1", "Pil durumu", "Battery status"),
    ObisInfo("96.50", "Tarife saatleri (hafta içi)", "Tariff switching times (weekday)"),
    ObisInfo("96.51", "Tarife saatleri (cumartesi)", "Tariff switching times (Saturday)"),
    ObisInfo("96.52", "Tarife saatleri (pazar)", "Tariff switching times (Sunday)"),
    ObisInfo("96.60", "Tarife numaraları (hafta içi)", "Tariff numbers (weekday)"),
    ObisInfo("96.61", "Tarife numaraları (cumartesi)", "Tariff numbers (Saturday)"),
    ObisInfo("96.62", "Tarife numaraları (pazar)", "Tariff numbers (Sunday)"),
    ObisInfo("96.70", "Üst kapak açılma", "Top cover opened"),
    ObisInfo("96.71", "Klemens kapağı açılma", "Terminal cover opened"),
    ObisInfo("96.7.0", "Kesinti sayısı (toplam)", "Outage count (total)"),
    ObisInfo("96.77.0", "Kesinti kaydı", "Outage record (start, end)"),
    ObisInfo("F.F", "Hata kodu", "Error register"),
    ObisInfo("F.F.0", "Hata kodu", "Error register"),
    ObisInfo("F.F.1", "Coğrafi kod (GF)", "Geographic code (GF)"),
    # Water, gas and heat meters (value group A = medium), read like the electricity meters.
    ObisInfo("8-0:1.0.0", "Soğuk su hacmi", "Cold water volume", "m3"),
    ObisInfo("8-0:1.8.0", "Soğuk su hacmi (endeks)", "Cold water volume (index)", "m3"),
    ObisInfo("9-0:1.0.0", "Sıcak su hacmi", "Hot water volume", "m3"),
    ObisInfo("7-0:3.0.0", "Gaz hacmi", "Gas volume", "m3"),
    ObisInfo("7-0:13.0.0", "Gaz hacmi (düzeltilmiş)", "Gas volume (converted)", "m3"),
    ObisInfo("6-0:1.0.0", "Isı enerjisi", "Heat energy", "GJ"),
    ObisInfo("6-0:2.0.0", "Isı taşıyıcı hacmi", "Heat transfer volume", "m3"),
    ObisInfo("0-1:24.2.1", "Gaz hacmi (M-Bus kanalı 1)", "Gas volume (M-Bus channel 1)", "m3"),
)

#: Code (short form, no billing suffix) → :class:`ObisInfo`.
OBIS_TABLE: Mapping[str, ObisInfo] = MappingProxyType({info.code: info for info in _ENTRIES})


def lookup(address: str) -> ObisInfo | None:
    """The table entry for any spelling of a register (``1-0:1.8.0*255``, ``1.8.0*1``)."""
    return OBIS_TABLE.get(base_obis(address))
