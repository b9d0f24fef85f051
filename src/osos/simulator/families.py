"""Meter families as data: identification, readout layout, register formats, P.01 layout.

Each :class:`Family` says how one make and model writes what the model computes; the code
that renders a readout or a profile reads these tables and never branches on the make. The
Makel C520 readout follows ``tests/data/makel-c520.txt`` line for line (plus the export and
QII/QIII registers a kombi meter has); the EMH family follows the EMH EM4T II / LZQJ captures
(full OBIS addresses, ``\\@`` VDEW identification, P.01 with a header); Luna writes a row
profile that carries its own date and time groups.

Water, gas and heat meters (``medium`` other than electricity) are generic IEC 62056-21 mode C
meters written from the same model: their readout gives the medium's register (``8-0:1.0.0``
cold-water volume, ``7-0:3.0.0`` gas volume, ``6-0:1.0.0`` heat energy) now and at the last two
billing dates, converted exactly from the model's import energy (:func:`medium_value`), and they
keep no load profile (a P.01 request is answered ``(ERROR)``). Their layout is not a capture of a
real make's: it is what a plain mode C readout of such a meter looks like.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from osos.channels import BY_OBIS
from osos.domain import MeterKind
from osos.errors import InvalidInput
from osos.obis import normalize_obis
from osos.protocol.iec62056_21.datasets import DataSet, parse_data_sets
from osos.protocol.iec62056_21.meter_profiles import MeterProfile, profile_by_key
from osos.protocol.iec62056_21.profile import RowLayout

from .model import (
    EXPORT,
    Q1,
    Q2,
    Q3,
    Q4,
    T1,
    T2,
    T3,
    PhaseValues,
    Registers,
    Snapshot,
    import_total,
)
from .model import local_naive as _local
from .tamper import event_value


@dataclass(frozen=True)
class Line:
    """One readout line: the address as the meter writes it, where its value comes from
    (``source``: see :func:`render_line`), and the source's argument."""

    address: str
    source: str
    arg: str = ""


@dataclass(frozen=True)
class ProfileChannel:
    """A P.01 channel: OBIS as written in the header (or implied by a row layout), its unit,
    and the value it carries (a register or phase quantity, as in :func:`quantity`)."""

    obis: str
    unit: str
    quantity: str


@dataclass(frozen=True)
class Family:
    key: str
    make: str
    model: str
    flag: str
    baud_char: str
    ident: str  # ``{serial}`` is replaced by the meter's serial
    enhanced: str | None
    generation: str | None
    phases: int
    protocol_profile: str  # key of the codec's MeterProfile: read kind, P.01 layout/request
    energy_digits: int  # integer digits of an energy value (3 decimals always)
    demand_digits: int
    current_digits: int
    energy_unit: str
    reactive_unit: str
    time_format: str  # 0.9.1
    date_format: str  # 0.9.2
    stamp_format: str  # demand and reset times
    null_stamp: str
    readout: tuple[Line, ...]
    profile_status: str | None
    # P.01 channels a header make names in its header; row makes take theirs from the codec.
    header_channels: tuple[ProfileChannel, ...] = ()
    profile_depth_days: int = 60
    profile_whole_days: bool = False  # the P.01 range names days: ``to`` means its whole day
    medium: MeterKind = MeterKind.ELECTRICITY
    load_profile: bool = True  # False: no P.01 (the meter answers a request with ERROR)

    @property
    def protocol(self) -> MeterProfile:
        """The codec's per-make table entry (how the session frames reads and profiles)."""
        return profile_by_key(self.protocol_profile)

    def __post_init__(self) -> None:
        if self.header_channels and self._row_channels():
            raise InvalidInput(
                f"family {self.key}: the P.01 rows of {self.protocol_profile!r} are laid out "
                "by the codec's meter-profile table; do not name header_channels"
            )

    def _row_channels(self) -> tuple[ProfileChannel, ...]:
        layout = self.protocol.profile_layout
        if not isinstance(layout, RowLayout):
            return ()
        return tuple(
            ProfileChannel(c.obis, c.unit or "", normalize_obis(c.obis)) for c in layout.channels
        )

    @property
    def profile_channels(self) -> tuple[ProfileChannel, ...]:
        """The P.01 channels in the order of the values.

        A make whose rows have fixed positions (Makel, Luna) writes the channels of the codec's
        meter-profile table, so the simulator writes the layout the head-end reads and a
        change there changes both; a header make writes ``header_channels``.
        """
        return self._row_channels() or self.header_channels

    def identification(self, serial: str) -> str:
        """The identification line without CR LF, e.g. ``/MSY5<1>C520.KMY.2251``."""
        text = "/" + self.flag + self.baud_char
        if self.enhanced is not None:
            text += "\\" + self.enhanced
        if self.generation is not None:
            text += f"<{self.generation}>"
        return text + self.ident.format(serial=serial)


def _energy(code: str, reactive: bool = False) -> Line:
    return Line(code, "reactive" if reactive else "energy", code)


def _billing(
    codes: tuple[str, ...], suffixes: tuple[str, ...], reactive: bool = False
) -> tuple[Line, ...]:
    return tuple(_energy(code + suffix, reactive) for code in codes for suffix in suffixes)


_TARIFF_CODES = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "1.8.4")

MAKEL_READOUT: Final = (
    Line("0.0.0", "serial"),
    Line("0.8.0", "text", "15*min"),
    Line("0.9.1", "time"),
    Line("0.9.2", "date"),
    Line("0.9.5", "weekday"),
    Line("0.1.0", "reset_count"),
    Line("0.1.2*1", "reset_time", "1"),
    Line("0.1.2*2", "reset_time", "2"),
    *_billing(_TARIFF_CODES, ("",)),
    *_billing(_TARIFF_CODES, ("*1",)),
    *_billing(_TARIFF_CODES, ("*2",)),
    *_billing(("5.8.0",), ("", "*1", "*2"), reactive=True),
    *_billing(("8.8.0",), ("", "*1", "*2"), reactive=True),
    *_billing(("2.8.0",), ("", "*1", "*2")),
    *_billing(("6.8.0", "7.8.0"), ("",), reactive=True),
    Line("1.6.0", "demand", "1.6.0"),
    Line("1.6.0*1", "demand", "1.6.0*1"),
    Line("1.6.0*2", "demand", "1.6.0*2"),
    Line("2.6.0", "demand", "2.6.0"),
    Line("2.6.0*1", "demand", "2.6.0*1"),
    Line("31.7.0", "current", "1"),
    Line("51.7.0", "current", "2"),
    Line("71.7.0", "current", "3"),
    Line("32.7.0", "voltage", "1"),
    Line("52.7.0", "voltage", "2"),
    Line("72.7.0", "voltage", "3"),
    Line("96.6.1", "text", "1"),
    Line("96.1.3", "text", "18-11-27"),
    Line("96.2.5", "text", "18-11-27"),
    Line("96.2.2", "text", "18-11-27,10:32"),
    Line("96.50", "text", "06001700220099999999999999999999"),
    Line("96.51", "text", "06001700220099999999999999999999"),
    Line("96.52", "text", "06001700220099999999999999999999"),
    Line("96.60", "text", "31230000"),
    Line("96.61", "text", "31230000"),
    Line("96.62", "text", "31230000"),
    Line("96.70", "event", "96.70"),
    Line("96.71", "event", "96.71"),
    Line("96.71*1", "text", "00-00-00,00:00)(00"),
    Line("96.71*2", "text", "00-00-00,00:00)(00"),
    Line("96.7.0", "text", "00"),
    Line("96.77.0*1", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.0*2", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.7.1", "text", "00"),
    Line("96.77.1*1", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.1*2", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.7.2", "text", "00"),
    Line("96.77.2*1", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.2*2", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.7.3", "event", "96.7.3"),
    Line("96.77.3*1", "event", "96.77.3*1"),
    Line("96.77.3*2", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.4", "event", "96.77.4"),
    Line("96.77.4*1", "event", "96.77.4*1"),
    Line("96.77.4*2", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.5", "text", "00"),
    Line("96.77.5*1", "text", "00-00-00,00:00,00-00-00,00:00"),
    Line("96.77.5*2", "text", "00-00-00,00:00,00-00-00,00:00"),
)


def _vdew(
    code: str, source: str, arg: str = "", *, billing: int = 255, medium: str = "1-0"
) -> Line:
    return Line(f"{medium}:{code}*{billing}", source, arg)


EMH_READOUT: Final = (
    _vdew("F.F.0", "text", "00000000", medium="0-0"),
    _vdew("C.1.0", "serial", medium="0-0"),
    _vdew("0.0.0", "serial"),
    _vdew("0.9.1", "time"),
    _vdew("0.9.2", "date"),
    _vdew("0.1.0", "reset_count"),
    _vdew("0.1.2", "reset_time", "1", billing=1),
    _vdew("0.1.2", "reset_time", "2", billing=2),
    *(_vdew(c, "energy", c) for c in ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0")),
    *(_vdew(c, "reactive", c) for c in ("5.8.0", "6.8.0", "7.8.0", "8.8.0")),
    *(_vdew(c, "energy", f"{c}*1", billing=1) for c in ("1.8.0", "1.8.1", "1.8.2", "1.8.3")),
    _vdew("2.8.0", "energy", "2.8.0*1", billing=1),
    *(_vdew(c, "reactive", f"{c}*1", billing=1) for c in ("5.8.0", "8.8.0")),
    *(_vdew(c, "energy", f"{c}*2", billing=2) for c in ("1.8.0", "1.8.1", "1.8.2", "1.8.3")),
    _vdew("1.6.0", "demand", "1.6.0"),
    _vdew("1.6.0", "demand", "1.6.0*1", billing=1),
    _vdew("2.6.0", "demand", "2.6.0"),
    *(_vdew(f"{p}2.7.0", "voltage", str(k)) for k, p in ((1, "3"), (2, "5"), (3, "7"))),
    *(_vdew(f"{p}1.7.0", "current", str(k)) for k, p in ((1, "3"), (2, "5"), (3, "7"))),
    _vdew("0.8.0", "text", "15*min"),
    _vdew("0.8.4", "text", "15*min"),
    _vdew("0.3.0", "text", "1000*Imp/kWh"),
    _vdew("C.90.2", "text", "9F139CC2", medium="0-0"),
    _vdew("C.1.9", "text", "Point-ID"),
)

LUNA_READOUT: Final = (
    Line("0.0.0", "serial"),
    Line("0.9.1", "time"),
    Line("0.9.2", "date"),
    Line("0.9.5", "weekday"),
    Line("0.1.0", "reset_count"),
    Line("0.1.2*1", "reset_time", "1"),
    *_billing(_TARIFF_CODES[:4], ("", "*1", "*2")),
    *_billing(("2.8.0",), ("", "*1")),
    *_billing(("5.8.0", "8.8.0"), ("", "*1"), reactive=True),
    *_billing(("6.8.0", "7.8.0"), ("",), reactive=True),
    Line("1.6.0", "demand", "1.6.0"),
    Line("1.6.0*1", "demand", "1.6.0*1"),
    Line("32.7.0", "voltage", "1"),
    Line("52.7.0", "voltage", "2"),
    Line("72.7.0", "voltage", "3"),
    Line("31.7.0", "current", "1"),
    Line("51.7.0", "current", "2"),
    Line("71.7.0", "current", "3"),
    Line("34.7.0", "text", "50.00*Hz"),
    Line("96.50", "text", "06001700220099999999999999999999"),
    Line("96.60", "text", "31230000"),
    Line("96.71", "event", "96.71"),
)


def _header(*codes: str, prefix: str = "") -> tuple[ProfileChannel, ...]:
    """Channels a make names in its P.01 header, each in the unit osos stores its code in."""
    return tuple(ProfileChannel(prefix + code, BY_OBIS[code].unit, code) for code in codes)


MAKEL_C520 = Family(
    key="makel-c520",
    make="Makel",
    model="C520",
    flag="MSY",
    baud_char="5",
    ident="C520.KMY.2251",
    enhanced=None,
    generation="1",
    phases=3,
    protocol_profile="makel",
    energy_digits=6,
    demand_digits=3,
    current_digits=3,
    energy_unit="kWh",
    reactive_unit="kVArh",
    time_format="%H:%M:%S",
    date_format="%y-%m-%d",
    stamp_format="%y-%m-%d,%H:%M",
    null_stamp="00-00-00,00:00",
    readout=MAKEL_READOUT,
    profile_status="00,00",
)

EMH_LZQJ = Family(
    key="emh-lzqj",
    make="EMH",
    model="LZQJ",
    flag="EMH",
    baud_char="5",
    ident="LZQJ{serial}",
    enhanced="@",
    generation=None,
    phases=3,
    protocol_profile="emh",
    energy_digits=8,
    demand_digits=2,
    current_digits=3,
    energy_unit="kWh",
    reactive_unit="kvarh",
    time_format="%H%M%S",
    date_format="%y%m%d",
    stamp_format="%y%m%d%H%M",
    null_stamp="0000000000",
    readout=EMH_READOUT,
    profile_status="00000000",
    header_channels=_header(
        *("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0"),
        *("32.7.0", "52.7.0", "72.7.0", "31.7.0", "51.7.0", "71.7.0"),
    ),
)

LUNA = Family(
    key="luna",
    make="Luna",
    model="LUN",
    flag="LUN",
    baud_char="5",
    ident="LUN{serial}",
    enhanced=None,
    generation="1",
    phases=3,
    protocol_profile="luna",
    energy_digits=6,
    demand_digits=3,
    current_digits=3,
    energy_unit="kWh",
    reactive_unit="kvarh",
    time_format="%H:%M:%S",
    date_format="%y-%m-%d",
    stamp_format="%y-%m-%d,%H:%M",
    null_stamp="00-00-00,00:00",
    readout=LUNA_READOUT,
    # 14 groups per row: date, time and the twelve values of LUNA_CHANNELS, no status
    # (PROTOCOL.md §7).
    profile_status=None,
    profile_whole_days=True,
)

# MetCom MCS301: VDEW like EMH, but the P.01 header names channels with full OBIS codes and
# the status has two hex digits (tests/data/metcom-mcs301-p01-1.txt).
METCOM_MCS301 = dataclasses.replace(
    EMH_LZQJ,
    key="metcom-mcs301",
    make="MetCom",
    model="MCS301",
    flag="MCS",
    ident="MCS301-{serial}",
    protocol_profile="metcom",
    time_format="%H:%M:%S",
    date_format="%y-%m-%d",
    header_channels=_header("1.8.0", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0", prefix="1-0:"),
    profile_status="00",
)


def _medium_readout(*registers: tuple[str, str]) -> tuple[Line, ...]:
    """A water/gas/heat meter's mode C readout: serial, clock, billing resets, each register
    (address, quantity of :func:`medium_value`) now and at the last two billing dates."""
    return (
        Line("0.0.0", "serial"),
        Line("0.9.1", "time"),
        Line("0.9.2", "date"),
        Line("0.1.0", "reset_count"),
        Line("0.1.2*1", "reset_time", "1"),
        Line("0.1.2*2", "reset_time", "2"),
        *(
            Line(address + suffix, "medium", quantity + suffix)
            for address, quantity in registers
            for suffix in ("", "*1", "*2")
        ),
        Line("F.F", "text", "00000000"),
    )


WATER_IEC = Family(
    key="water-iec",
    make="Generic",
    model="WATER-C",
    flag="WTR",
    baud_char="5",
    ident="WATER{serial}",
    enhanced=None,
    generation=None,
    phases=0,
    protocol_profile="generic",
    energy_digits=5,
    demand_digits=3,
    current_digits=3,
    energy_unit="m3",
    reactive_unit="m3",
    time_format="%H:%M:%S",
    date_format="%y-%m-%d",
    stamp_format="%y-%m-%d,%H:%M",
    null_stamp="00-00-00,00:00",
    readout=_medium_readout(("8-0:1.0.0", "volume")),
    profile_status=None,
    medium=MeterKind.WATER,
    load_profile=False,
)
GAS_IEC = dataclasses.replace(
    WATER_IEC,
    key="gas-iec",
    model="GAS-C",
    flag="GAS",
    ident="GAS{serial}",
    readout=_medium_readout(("7-0:3.0.0", "gas_volume")),
    medium=MeterKind.GAS,
)
HEAT_IEC = dataclasses.replace(
    WATER_IEC,
    key="heat-iec",
    model="HEAT-C",
    flag="HMT",
    ident="HEAT{serial}",
    energy_unit="GJ",
    readout=_medium_readout(("6-0:1.0.0", "heat"), ("6-0:2.0.0", "heat_volume")),
    medium=MeterKind.HEAT,
)

FAMILIES: Final[Mapping[str, Family]] = {
    f.key: f for f in (MAKEL_C520, EMH_LZQJ, LUNA, METCOM_MCS301, WATER_IEC, GAS_IEC, HEAT_IEC)
}
#: The electricity meters' families (the mixed fleets of :func:`~.spec.specs_for`).
ELECTRICITY_FAMILIES: Final[Mapping[str, Family]] = {
    k: f for k, f in FAMILIES.items() if f.medium is MeterKind.ELECTRICITY
}
#: Which family stands in for a meter known by its flag (and model), e.g. from the registry.
BY_FLAG: Final[Mapping[str, str]] = {
    "MSY": "makel-c520",
    "MKS": "makel-c520",
    "EMH": "emh-lzqj",
    "LUN": "luna",
    "MCS": "metcom-mcs301",
}


def family_for(
    flag: str | None, model: str | None = None, kind: MeterKind | str | None = None
) -> Family:
    """The family of a registry meter: among the families of its medium (``kind``, the
    registry's meter kind; electricity when None), by model key or name first; then an
    electricity meter by flag (Makel else), a water, gas or heat meter its medium's family."""
    medium = MeterKind(kind) if kind else MeterKind.ELECTRICITY
    candidates = [f for f in FAMILIES.values() if f.medium is medium]
    for family in candidates:
        if model and (model == family.key or model.upper() == family.model.upper()):
            return family
    if medium is not MeterKind.ELECTRICITY:
        return candidates[0]
    return FAMILIES[BY_FLAG.get((flag or "").upper(), "makel-c520")]


# --- values -----------------------------------------------------------------------------


_REGISTER_OF: Final[Mapping[str, int]] = {
    "1.8.1": T1,
    "1.8.2": T2,
    "1.8.3": T3,
    "2.8.0": EXPORT,
    "5.8.0": Q1,
    "6.8.0": Q2,
    "7.8.0": Q3,
    "8.8.0": Q4,
}
_PHASE_OF: Final[Mapping[str, tuple[str, int]]] = {
    "32.7.0": ("volts", 0),
    "52.7.0": ("volts", 1),
    "72.7.0": ("volts", 2),
    "31.7.0": ("amps", 0),
    "51.7.0": ("amps", 1),
    "71.7.0": ("amps", 2),
}


def register_value(code: str, registers: Registers) -> int:
    """Wh / varh of an energy register code (``1.8.0``, ``1.8.2``, ``8.8.0``, ``1.8.4`` = 0)."""
    if code == "1.8.0":
        return import_total(registers)
    if code == "1.8.4":
        return 0
    return registers[_REGISTER_OF[code]]


def quantity(code: str, registers: Registers, phases: PhaseValues) -> Decimal:
    """A profile channel's value: energy in kWh / kvarh (3 decimals), V or A (2 decimals)."""
    if code in _PHASE_OF:
        kind, index = _PHASE_OF[code]
        values = phases.volts if kind == "volts" else phases.amps
        milli = values[index] if index < len(values) else 0
        return Decimal(milli // 10).scaleb(-2)
    return Decimal(register_value(code, registers)).scaleb(-3)


#: A water/gas/heat register from the model's import energy (Wh), exactly: quantity → (unit,
#: times, per), milli-units of the unit = Wh × times // per. Cold water 15 L per kWh the model
#: draws; natural gas at 10.64 kWh per m³; heat 1 kWh = 3.6 MJ (0.001 GJ = 1 MJ); the heat
#: carrier's volume at 20 K between flow and return (4.186 MJ per m³ and K: 3 L per 70 Wh).
_MEDIUM: Final[Mapping[str, tuple[str, int, int]]] = {
    "volume": ("m3", 3, 200),
    "gas_volume": ("m3", 25, 266),
    "heat": ("GJ", 9, 2500),
    "heat_volume": ("m3", 3, 70),
}


def medium_value(quantity: str, registers: Registers) -> tuple[str, int]:
    """(unit, value in milli-units) of a water/gas/heat quantity of :data:`_MEDIUM`."""
    unit, times, per = _MEDIUM[quantity]
    return unit, import_total(registers) * times // per


def _fixed(milli: int, digits: int, decimals: int = 3) -> str:
    units, fraction = divmod(milli, 1000)
    if decimals == 2:
        fraction //= 10
    return f"{units:0{digits}d}.{fraction:0{decimals}d}"


def _code_and_period(arg: str) -> tuple[str, int]:
    code, _, suffix = arg.partition("*")
    return code, int(suffix) if suffix else 0


def render_text(family: Family, line: Line, snap: Snapshot, serial: str) -> str:
    """One readout line (``address(value*unit)…``, no line end) from the snapshot, as
    ``family`` writes it: text made straight from the integers, no value objects between."""
    source = line.source
    address = line.address
    if source == "serial":
        return f"{address}({serial})"
    if source == "text":
        return f"{address}({line.arg})"
    if source == "time":
        return f"{address}({_local(snap.meter_time).strftime(family.time_format)})"
    if source == "date":
        return f"{address}({_local(snap.meter_time).strftime(family.date_format)})"
    if source == "weekday":
        return f"{address}({_local(snap.meter_time).isoweekday()})"
    if source == "reset_count":
        return f"{address}({snap.reset_count:02d})"
    if source == "reset_time":
        period = snap.billing[int(line.arg) - 1]
        return f"{address}({_stamp(family, period.time)})"
    if source in ("energy", "reactive"):
        code, back = _code_and_period(line.arg)
        registers = snap.registers if back == 0 else snap.billing[back - 1].registers
        unit = family.energy_unit if source == "energy" else family.reactive_unit
        return f"{address}({_fixed(register_value(code, registers), family.energy_digits)}*{unit})"
    if source == "demand":
        code, back = _code_and_period(line.arg)
        if back == 0:
            demand = snap.import_demand if code == "1.6.0" else snap.export_demand
        else:
            period = snap.billing[back - 1]
            demand = period.import_demand if code == "1.6.0" else period.export_demand
        watts = _fixed(demand.watts, family.demand_digits)
        return f"{address}({watts}*kW)({_stamp(family, demand.time)})"
    if source == "medium":
        quantity, back = _code_and_period(line.arg)
        registers = snap.registers if back == 0 else snap.billing[back - 1].registers
        unit, milli = medium_value(quantity, registers)
        return f"{address}({_fixed(milli, family.energy_digits)}*{unit})"
    if source == "event":  # tampering (tamper.py): the null stamps of a clean meter otherwise
        text = event_value(line.arg, snap.events, lambda when: _stamp(family, when))
        return f"{address}({text})"
    if source in ("voltage", "current"):
        index = int(line.arg) - 1
        if source == "voltage":
            milli = snap.phases.volts[index] if index < len(snap.phases.volts) else 0
            return f"{address}({_fixed(milli, 3, 2)}*V)"
        milli = snap.phases.amps[index] if index < len(snap.phases.amps) else 0
        return f"{address}({_fixed(milli, family.current_digits, 2)}*A)"
    raise InvalidInput(f"unknown readout source {source!r} in family {family.key}")


def render_line(family: Family, line: Line, snap: Snapshot, serial: str) -> DataSet:
    """One readout data set from the snapshot (:func:`render_text`, parsed)."""
    return DataSet.from_text(render_text(family, line, snap, serial))


def _stamp(family: Family, when: dt.datetime | None) -> str:
    return family.null_stamp if when is None else _local(when).strftime(family.stamp_format)


def render_readout_text(family: Family, snap: Snapshot, serial: str) -> str:
    """The readout's data block as the meter sends it: one line per data set (CR LF), then
    ``!`` CR LF — what ``format_data_sets(render_readout(…))`` gives, without the objects."""
    lines = [render_text(family, line, snap, serial) for line in family.readout]
    return "\r\n".join(lines) + "\r\n!\r\n" if lines else "!\r\n"


def render_readout(family: Family, snap: Snapshot, serial: str) -> list[DataSet]:
    return parse_data_sets(render_readout_text(family, snap, serial))
