"""DLMS meter knowledge as data: which COSEM object gives which osos register or channel,
the load profile object, the clock, the event registers, the event logs and their codes, the
addressing defaults — one frozen :class:`DlmsProfile` per meter family.

:data:`REGISTERS` is the one mapping table from COSEM objects to osos's short OBIS codes and
units (the same codes and units the IEC 62056-21 meters produce, so the store needs no
change). The reader and the adapter read these fields; nothing branches on the maker.

What is captured and what is assumed: the addressing forms are seen in real frames
(``samples/dlms/SOURCES.md``); no Turkish DLMS meter capture exists here, so every Turkish
profile's object layout is the IDIS / Blue Book standard layout, **assumed**, marked in its
``assumed`` notes. Correct the data when a real object list arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from .association import MANAGEMENT_CLIENT, PUBLIC_CLIENT
from .cosem import CLOCK_OBIS, AttributeDescriptor, ClassId, Obis


@dataclass(frozen=True)
class RegisterSpec:
    """One row of the mapping table: osos code ← COSEM object.

    ``class_id`` 1 (Data), 3 (Register: value 2, scaler_unit 3), 4 (Extended register:
    + capture time 5) or 5 (Demand register: last average 3, scaler_unit 4, capture time 6).
    ``unit`` is osos's unit (None: no unit); ``decimals`` how IEC meters print the value.
    """

    osos: str
    obis: Obis
    class_id: int = ClassId.REGISTER
    unit: str | None = None
    decimals: int = 3

    @property
    def value_attribute(self) -> int:
        return 3 if self.class_id == ClassId.DEMAND_REGISTER else 2

    @property
    def scaler_attribute(self) -> int | None:
        return {3: 3, 4: 3, 5: 4}.get(self.class_id)

    @property
    def time_attribute(self) -> int | None:
        return {4: 5, 5: 6}.get(self.class_id)

    def attributes(self) -> tuple[AttributeDescriptor, ...]:
        """What to GET for this register, value first."""
        ids = [self.value_attribute, self.scaler_attribute, self.time_attribute]
        return tuple(AttributeDescriptor(self.class_id, self.obis, a) for a in ids if a)


def _r(
    osos: str, obis: str, unit: str | None, decimals: int = 3, class_id: int = 3
) -> RegisterSpec:
    return RegisterSpec(osos, Obis.parse(obis), class_id, unit, decimals)


_ENERGY = tuple(
    _r(code, f"1.0.{code}.255", unit)
    for code, unit in (
        ("1.8.0", "kWh"),
        ("1.8.1", "kWh"),
        ("1.8.2", "kWh"),
        ("1.8.3", "kWh"),
        ("1.8.4", "kWh"),
        ("2.8.0", "kWh"),
        ("5.8.0", "kvarh"),
        ("6.8.0", "kvarh"),
        ("7.8.0", "kvarh"),
        ("8.8.0", "kvarh"),
    )
)
_INSTANT = tuple(
    _r(code, f"1.0.{code}.255", unit, decimals)
    for code, unit, decimals in (
        ("32.7.0", "V", 2),
        ("52.7.0", "V", 2),
        ("72.7.0", "V", 2),
        ("31.7.0", "A", 2),
        ("51.7.0", "A", 2),
        ("71.7.0", "A", 2),
        ("33.7.0", None, 3),
        ("53.7.0", None, 3),
        ("73.7.0", None, 3),
        ("14.7.0", "Hz", 2),
    )
)
#: The one table: osos register ← COSEM object (IDIS / Blue Book logical names).
REGISTERS: Final[tuple[RegisterSpec, ...]] = (
    *_ENERGY,
    _r("1.6.0", "1.0.1.6.0.255", "kW", 3, ClassId.EXTENDED_REGISTER),
    _r("2.6.0", "1.0.2.6.0.255", "kW", 3, ClassId.EXTENDED_REGISTER),
    *_INSTANT,
    _r("96.1.0", "0.0.96.1.0.255", None, 0, ClassId.DATA),
    _r("96.7.0", "0.0.96.7.21.255", None, 0, ClassId.DATA),  # power failures, any phase
    _r("96.70", "0.0.96.70.0.255", None, 0, ClassId.DATA),  # top cover opened (assumed)
    _r("96.71", "0.0.96.71.0.255", None, 0, ClassId.DATA),  # terminal cover (assumed)
    _r("0.1.0", "1.0.0.1.0.255", None, 0, ClassId.DATA),  # billing reset counter
)
BY_OSOS: Final[Mapping[str, RegisterSpec]] = MappingProxyType({r.osos: r for r in REGISTERS})
BY_LOGICAL_NAME: Final[Mapping[Obis, RegisterSpec]] = MappingProxyType(
    {r.obis: r for r in REGISTERS}
)

STATUS_OBIS: Final = Obis(0, 0, 96, 10, 1, 255)
LOAD_PROFILE_1: Final = Obis(1, 0, 99, 1, 0, 255)  # IDIS 15-minute profile
EVENT_LOG: Final = Obis(0, 0, 99, 98, 0, 255)  # IDIS standard event log
FRAUD_LOG: Final = Obis(0, 0, 99, 98, 1, 255)  # IDIS fraud detection log
#: The capture objects of an IDIS-style 15-minute profile, as the simulator publishes them.
LOAD_PROFILE_COLUMNS: Final[tuple[AttributeDescriptor, ...]] = (
    AttributeDescriptor(ClassId.CLOCK, CLOCK_OBIS, 2),
    AttributeDescriptor(ClassId.DATA, STATUS_OBIS, 2),
    *(
        AttributeDescriptor(ClassId.REGISTER, BY_OSOS[c].obis, 2)
        for c in (
            "1.8.0",
            "1.8.1",
            "1.8.2",
            "1.8.3",
            "2.8.0",
            "5.8.0",
            "6.8.0",
            "7.8.0",
            "8.8.0",
            "32.7.0",
            "52.7.0",
            "72.7.0",
            "31.7.0",
            "51.7.0",
            "71.7.0",
        )
    ),
)


@dataclass(frozen=True)
class EventLogSpec:
    """One event log (profile generic): its rows are (clock, event code); ``codes`` names
    each code with the event names the IEC P.98 path uses (``terminal_cover``, ``magnetic``,
    ``magnetic_end``, ``power_fail``, ``power_back``… — what ``osos.losses.events`` reads)."""

    obis: Obis
    code_object: Obis
    codes: tuple[tuple[int, str], ...]  # (event code, name): hashable, as profiles are

    @property
    def columns(self) -> tuple[AttributeDescriptor, ...]:
        """The capture objects: the clock and the event-code Data object, value attributes."""
        return (
            AttributeDescriptor(ClassId.CLOCK, CLOCK_OBIS, 2),
            AttributeDescriptor(ClassId.DATA, self.code_object, 2),
        )

    def name(self, code: int) -> str | None:
        return next((n for c, n in self.codes if c == code), None)

    def code(self, name: str) -> int | None:
        return next((c for c, n in self.codes if n == name), None)


# The IDIS event-code tables as commonly documented (IDIS package 2, "event codes" of the
# standard and fraud detection logs), NOT verified against a captured Turkish meter: correct
# the data when a real log arrives. A closing cover has a name the losses rules do not use
# (the opening is the finding); it is stored with the others as evidence.
STANDARD_EVENT_CODES: Final[tuple[tuple[int, str], ...]] = (
    (1, "power_fail"),  # power down
    (2, "power_back"),  # power up
)
FRAUD_EVENT_CODES: Final[tuple[tuple[int, str], ...]] = (
    (40, "terminal_cover"),  # terminal cover removed
    (41, "terminal_cover_closed"),  # terminal cover closed
    (42, "magnetic"),  # strong DC field detected
    (43, "magnetic_end"),  # no strong DC field anymore
    (44, "main_cover"),  # meter cover removed
    (45, "main_cover_closed"),  # meter cover closed
)
STANDARD_EVENT_LOG: Final = EventLogSpec(
    EVENT_LOG, Obis(0, 0, 96, 11, 0, 255), STANDARD_EVENT_CODES
)
FRAUD_EVENT_LOG: Final = EventLogSpec(FRAUD_LOG, Obis(0, 0, 96, 11, 1, 255), FRAUD_EVENT_CODES)
EVENT_LOGS: Final[tuple[EventLogSpec, ...]] = (STANDARD_EVENT_LOG, FRAUD_EVENT_LOG)


@dataclass(frozen=True)
class DlmsProfile:
    """What differs between DLMS meter families (addressing, objects, time)."""

    key: str
    name: str
    flags: tuple[str, ...] = ()
    public_client: int = PUBLIC_CLIENT
    management_client: int = MANAGEMENT_CLIENT
    server_logical: int = 1
    server_physical: int | None = 17
    clock: Obis = CLOCK_OBIS
    load_profile: Obis = LOAD_PROFILE_1
    load_profile_columns: tuple[AttributeDescriptor, ...] = LOAD_PROFILE_COLUMNS
    capture_period: int = 900
    event_logs: tuple[EventLogSpec, ...] = EVENT_LOGS  # read after the load profile
    registers: tuple[RegisterSpec, ...] = REGISTERS
    deviation: int = -180  # Turkey, UTC+3 (UTC = local + deviation)
    verified: bool = False
    assumed: tuple[str, ...] = field(default=())

    def register(self, osos: str) -> RegisterSpec | None:
        return next((r for r in self.registers if r.osos == osos), None)

    def by_logical_name(self, obis: Obis) -> RegisterSpec | None:
        return next((r for r in self.registers if r.obis == obis), None)


_IDIS_ASSUMED = (
    "object layout: the IDIS / Blue Book logical names (REGISTERS), not captured",
    "load profile 1.0.99.1.0.255, 15 min, clock + status + indexes + V/I (assumed)",
    "event logs 0.0.99.98.0/1.255 with the IDIS event codes (assumed)",
)

GENERIC = DlmsProfile(
    key="idis",
    name="Generic IDIS / Blue Book meter",
    assumed=_IDIS_ASSUMED,
)

PROFILES: Final[tuple[DlmsProfile, ...]] = (
    GENERIC,
    DlmsProfile(
        key="makel",
        name="Makel (MSY) DLMS",
        flags=("MSY", "MKS", "MKL"),
        assumed=(*_IDIS_ASSUMED, "addressing 1/17 and SAPs 16/1 assumed"),
    ),
    DlmsProfile(
        key="luna",
        name="Luna (LUN) DLMS",
        flags=("LUN",),
        assumed=(*_IDIS_ASSUMED, "addressing 1/17 and SAPs 16/1 assumed"),
    ),
    DlmsProfile(
        key="kohler",
        name="Köhler (AEL/KHL) DLMS",
        flags=("AEL", "KHL"),
        assumed=(*_IDIS_ASSUMED, "addressing 1/17 and SAPs 16/1 assumed"),
    ),
    DlmsProfile(
        key="emh",
        name="EMH (LZQJ-XC, eHZ) DLMS",
        flags=("EMH",),
        assumed=(*_IDIS_ASSUMED, "addressing 1/17 assumed"),
    ),
    DlmsProfile(
        key="landis-gyr",
        name="Landis+Gyr (E650/E450) DLMS",
        flags=("LGZ",),
        management_client=48,
        server_physical=None,
        assumed=(
            *_IDIS_ASSUMED,
            "client SAP 48 and a 4-byte server address are seen in an E650 capture "
            "(landisgyr_e650_*); the physical address is per meter: give it in the registry",
        ),
    ),
)
_BY_KEY: Final = MappingProxyType({p.key: p for p in PROFILES})


def profile_by_key(key: str) -> DlmsProfile:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no DLMS meter profile {key!r}; known: {', '.join(_BY_KEY)}") from None


def profile_for(flag: str | None) -> DlmsProfile:
    """The profile of a FLAG id (from a mode-E identification or the registry); GENERIC else."""
    wanted = (flag or "").upper()
    return next((p for p in PROFILES if wanted in p.flags), GENERIC)
