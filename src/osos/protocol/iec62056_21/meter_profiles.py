"""Per-make differences as data: one frozen :class:`MeterProfile` per meter family.

The session, the simulator and the capture parser look a profile up with
:func:`profile_for` (FLAG + model prefix of the identification) and read its fields; no code
branches on the maker. Entries marked "unverified" come from public clients, not from
hardware: adjust the data when real captures arrive (PROTOCOL.md §7, §10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from .profile import Channel, HeaderLayout, ProfileLayout, ProfileRequestFormat, RowLayout


@dataclass(frozen=True)
class MeterProfile:
    """What differs between meter families.

    ``read_kind``: digit of read commands (``R5`` on EMH/DIN meters, ``R2`` on Makel/MASS);
    ``write_kind``: digit of write commands; ``profile_request`` and ``profile_layout``: how
    the P.01 range is asked and answered; ``password_kind``/``password_length``: ``P1`` with
    8 plain digits on Turkish meters; ``baud_switch``: whether to switch to the announced rate
    after the option select (several meters announce 9600 but keep 300);
    ``time_write``: registers and formats used to set the clock; ``event_log``: the address of
    the meter's event log (``P.98``; None: it keeps none, its events are in the readout) and
    ``event_codes`` its status bits → event names (:mod:`.eventlog`: ``terminal_cover``,
    ``main_cover``, ``magnetic`` and ``magnetic_end``, ``power_fail`` and ``power_back``);
    ``quirks``: free-form notes.
    """

    key: str
    name: str
    flags: tuple[str, ...]
    model_prefix: str = ""
    read_kind: str = "2"
    write_kind: str = "2"
    profile_request: ProfileRequestFormat = field(default_factory=ProfileRequestFormat)
    profile_layout: ProfileLayout = field(default_factory=HeaderLayout)
    password_kind: str = "1"
    password_length: int = 8
    baud_switch: bool = True
    max_password_attempts: int = 3
    time_address: str = "0.9.1"
    date_address: str = "0.9.2"
    time_format: str = "%H:%M:%S"
    date_format: str = "%y-%m-%d"
    event_log: str | None = None
    event_codes: tuple[tuple[int, str], ...] = ()  # (bit, name): hashable, as profiles are
    verified: bool = False
    quirks: tuple[str, ...] = ()


MAKEL_CHANNELS = tuple(
    Channel(obis, unit)
    for obis, unit in (
        ("1.8.0", "kWh"),
        ("2.8.0", "kWh"),
        ("5.8.0", "kvarh"),
        ("6.8.0", "kvarh"),
        ("7.8.0", "kvarh"),
        ("8.8.0", "kvarh"),
    )
)
# Luna rows carry 12 values after date and time. Their order is not published; this is our
# assumption (indexes, then phase voltages), kept as data so a real capture corrects it here.
LUNA_CHANNELS = tuple(
    Channel(obis, unit)
    for obis, unit in (
        ("1.8.0", "kWh"),
        ("1.8.1", "kWh"),
        ("1.8.2", "kWh"),
        ("1.8.3", "kWh"),
        ("2.8.0", "kWh"),
        ("5.8.0", "kvarh"),
        ("6.8.0", "kvarh"),
        ("7.8.0", "kvarh"),
        ("8.8.0", "kvarh"),
        ("32.7.0", "V"),
        ("52.7.0", "V"),
        ("72.7.0", "V"),
    )
)

#: EMH logbook status bits (our reading of the LZQJ manual; unverified on hardware).
EMH_EVENT_CODES: tuple[tuple[int, str], ...] = (
    (0x00000004, "power_fail"),
    (0x00000008, "power_back"),
    (0x00000020, "terminal_cover"),
    (0x00000040, "main_cover"),
    (0x00000100, "magnetic"),
    (0x00000200, "magnetic_end"),
)

GENERIC = MeterProfile(
    key="generic",
    name="Generic IEC 62056-21 mode C",
    flags=(),
    read_kind="2",
    write_kind="2",
    quirks=("fallback: VDEW header profile, R2/W2, P1 password",),
)

PROFILES: tuple[MeterProfile, ...] = (
    MeterProfile(
        key="emh",
        name="EMH (LZQJ, EM4T II) — DIN/VDEW",
        flags=("EMH",),
        read_kind="5",
        write_kind="5",
        profile_request=ProfileRequestFormat("P.01", "%y%m%d%H%M", season=True),
        profile_layout=HeaderLayout(status_width=8, seconds=True),
        time_format="%H%M%S",
        date_format="%y%m%d",
        event_log="P.98",
        event_codes=EMH_EVENT_CODES,
        verified=True,
        quirks=(
            "answers only R5/W5 (announces \\@)",
            "0.9.1 hhmmss and 0.9.2 YYMMDD without separators",
            "events in the P.98 log, not the readout (its bit table is unverified)",
        ),
    ),
    MeterProfile(
        key="metcom",
        name="MetCom MCS301",
        flags=("MCS",),
        read_kind="5",
        write_kind="5",
        profile_request=ProfileRequestFormat("P.01", "%y%m%d%H%M", season=True),
        profile_layout=HeaderLayout(status_width=2, seconds=True),
        verified=True,
        quirks=("2-hex-digit profile status", "full OBIS names in the P.01 header"),
    ),
    MeterProfile(
        key="makel",
        name="Makel (MSY) C520/M600",
        flags=("MSY", "MKS", "MKL"),
        read_kind="2",
        write_kind="2",
        profile_request=ProfileRequestFormat("P.01", "%y%m%d%H%M", season=False),
        profile_layout=RowLayout(
            time_groups=1, channels=MAKEL_CHANNELS, status_groups=2, period=15
        ),
        quirks=(
            "P.01 rows: (yyMMddhhmm)(1.8.0)(2.8.0)(5.8.0)(6.8.0)(7.8.0)(8.8.0)(st1)(st2), "
            "cumulative indexes (unverified on hardware)",
            "several clients stay at 300 Bd: baud switch configurable",
        ),
    ),
    MeterProfile(
        key="luna",
        name="Luna (LUN)",
        flags=("LUN",),
        read_kind="5",
        write_kind="2",
        profile_request=ProfileRequestFormat("P1", "%y%m%d", season=False),
        profile_layout=RowLayout(
            time_groups=2,
            channels=LUNA_CHANNELS,
            status_groups=0,
            period=15,
            time_format="%Y-%m-%d,%H:%M",
        ),
        quirks=(
            "profile via R5 P1(yyMMdd;yyMMdd); rows (yyyy-mm-dd)(hh:mm)(value*kWh)… "
            "14 groups; channel order assumed (LUNA_CHANNELS), unverified on hardware",
        ),
    ),
    MeterProfile(
        key="kohler",
        name="Köhler (AEL/KHL)",
        flags=("AEL", "KHL"),
        read_kind="2",
        write_kind="2",
        quirks=("addressed sign-on on RS-485 buses; slow behind TCP modems",),
    ),
)

_BY_FLAG: Mapping[str, tuple[MeterProfile, ...]] = MappingProxyType(
    {
        flag: tuple(p for p in PROFILES if flag in p.flags)
        for flag in {flag for p in PROFILES for flag in p.flags}
    }
)


@lru_cache(maxsize=1024)
def profile_for(flag: str | None, ident: str = "") -> MeterProfile:
    """The profile for a FLAG id (case-insensitive) and model string; GENERIC otherwise.

    Among the profiles of a flag, the longest matching ``model_prefix`` wins. Remembered
    (the table is immutable): every readout and session looks its meter up.
    """
    if not flag:
        return GENERIC
    matches = [p for p in _BY_FLAG.get(flag.upper(), ()) if ident.startswith(p.model_prefix)]
    if not matches:
        return GENERIC
    return max(matches, key=lambda p: len(p.model_prefix))


def profile_by_key(key: str) -> MeterProfile:
    """Look a profile up by its ``key`` (``emh``, ``makel``, …, ``generic``)."""
    for candidate in (*PROFILES, GENERIC):
        if candidate.key == key:
            return candidate
    raise KeyError(f"no meter profile {key!r}")


def row_layouts() -> tuple[RowLayout, ...]:
    """Every fixed-width row layout, for detecting a profile capture without identification."""
    return tuple(
        p.profile_layout
        for p in PROFILES
        if isinstance(p.profile_layout, RowLayout) and p.profile_layout.width is not None
    )
