"""What a virtual meter is: :class:`MeterSpec`, and the ways to make a fleet of them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from osos.domain import Generation, MeterKind, TariffGroup
from osos.errors import InvalidInput

from .consumption import Q1, Q2, Q4, REGISTERS, T1, T2, T3, CustomerKind, MeterCharacter, mix
from .families import FAMILIES, family_for
from .model import MeterModel, Registers

log = logging.getLogger(__name__)

DEFAULT_INSTALL = dt.date(2025, 1, 1)
#: A spec's DLMS protocols: the IP wrapper, HDLC over TCP (the registry's names).
DLMS_PROTOCOLS = ("dlms", "dlms-hdlc", "dlms-mode-e")


@dataclass(frozen=True)
class MeterSpec:
    """One virtual meter behind one virtual modem.

    ``family`` is a key of :data:`~.families.FAMILIES` (``makel-c520``, ``emh-lzqj``,
    ``luna``, ``metcom-mcs301``; ``water-iec``, ``gas-iec``, ``heat-iec``: IEC only); ``flag``
    defaults to the family's. ``port`` is the modem's listening port in dial-out mode (None:
    dial-in only; 0: any free port). ``device_address``: the address the meter answers in the
    sign-on request besides an empty one (None: the serial). ``parity``: 7E1 even parity on
    the wire. ``drift_s``: the clock's initial offset. ``initial_wh``: 1.8.0 at installation
    (00:00 local of ``install_date``); derived from the seed when None.
    """

    serial: str
    family: str = "makel-c520"
    kind: CustomerKind = CustomerKind.INDUSTRY
    seed: int = 0
    password: str = "00000000"
    port: int | None = None
    flag: str | None = None
    device_address: str | None = None
    parity: bool = False
    drift_s: int = 0
    install_date: dt.date = DEFAULT_INSTALL
    initial_wh: int | None = None
    peak_w: int | None = None
    reset_base: int | None = None
    # DLMS/COSEM (see simulator/dlms_session.py): "iec" (the default), "dlms" (the IP
    # wrapper), "dlms-hdlc" (HDLC over TCP, whatever the fleet's default) or "dlms-mode-e" (an IEC
    # sign-on, ACK 2 Z 2, then HDLC); the
    # management client's LLS password; HLS-GMAC keys as hex (encryption, authentication).
    protocol: str = "iec"
    lls_password: str = "12345678"
    dlms_keys: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.protocol not in ("iec", *DLMS_PROTOCOLS):
            raise InvalidInput(f"meter {self.serial}: protocol must be iec or {DLMS_PROTOCOLS}")
        if self.family not in FAMILIES:
            raise InvalidInput(f"meter {self.serial}: unknown family {self.family!r}")
        if self.protocol != "iec" and FAMILIES[self.family].medium is not MeterKind.ELECTRICITY:
            raise InvalidInput(
                f"meter {self.serial}: the simulator's {self.family} meters speak IEC 62056-21 only"
            )
        if not (len(self.password) == 8 and self.password.isdigit()):
            raise InvalidInput(f"meter {self.serial}: password must be 8 digits")

    @property
    def meter_flag(self) -> str:
        return self.flag or FAMILIES[self.family].flag

    def initial_registers(self) -> Registers:
        """Registers at installation: T1/T2/T3 and reactive split from the seed, exactly."""
        total = self.initial_wh
        if total is None:
            total = 5_000_000 + mix(self.seed, 30) % 80_000_000
        t1 = total * (520 + mix(self.seed, 31) % 80) // 1000
        t2 = total * (180 + mix(self.seed, 32) % 60) // 1000
        regs = [0] * REGISTERS
        regs[T1], regs[T2], regs[T3] = t1, t2, total - t1 - t2
        regs[Q1] = total * (50 + mix(self.seed, 33) % 150) // 1000
        regs[Q4] = total * (10 + mix(self.seed, 34) % 100) // 1000
        regs[Q2] = total * (mix(self.seed, 35) % 10) // 1000
        return tuple(regs)

    def build_model(self) -> MeterModel:
        """A fresh model of this meter (its state is a function of the spec and time)."""
        family = FAMILIES[self.family]
        return MeterModel(
            MeterCharacter.from_seed(self.kind, self.seed, self.peak_w),
            install_date=self.install_date,
            initial=self.initial_registers(),
            reset_base=self.reset_base if self.reset_base is not None else 10 + self.seed % 30,
            phases=family.phases,
            drift=dt.timedelta(seconds=self.drift_s),
        )


# Kinds and the families that typically meter them, in fleet proportions.
_MIX: tuple[tuple[CustomerKind, str, str], ...] = (
    (CustomerKind.INDUSTRY, "makel-c520", "8022"),
    (CustomerKind.INDUSTRY, "emh-lzqj", "0387"),
    (CustomerKind.COMMERCE, "makel-c520", "8023"),
    (CustomerKind.COMMERCE, "emh-lzqj", "0388"),
    (CustomerKind.RESIDENCE, "luna", "6692"),
    (CustomerKind.GENERATION, "makel-c520", "8024"),
    (CustomerKind.INDUSTRY, "makel-c520", "8025"),
    (CustomerKind.LIGHTING, "makel-c520", "8026"),
    (CustomerKind.COMMERCE, "luna", "6693"),
    (CustomerKind.GENERATION, "emh-lzqj", "0389"),
)  # metcom-mcs301 is used by name only, so generated fleets keep their composition


def specs_for(
    n: int,
    port_base: int | None = None,
    seed: int = 1,
    *,
    install_date: dt.date = DEFAULT_INSTALL,
    dlms_share: float = 0.0,
) -> list[MeterSpec]:
    """A deterministic mixed fleet of ``n`` meters: every kind, every family, a few meters
    over the reactive limits. Meter i listens on ``port_base + i`` (dial-in only when None).
    ``dlms_share`` of the meters (spread evenly) speak DLMS/COSEM instead of IEC 62056-21."""
    specs = []
    for i in range(n):
        dlms = int((i + 1) * dlms_share) > int(i * dlms_share)
        kind, family, prefix = _MIX[i % len(_MIX)]
        meter_seed = mix(seed, 100, i) & 0x7FFFFFFF
        specs.append(
            MeterSpec(
                serial=f"{prefix}{i:05d}" if family == "luna" else f"{prefix}{i:04d}",
                family=family,
                kind=kind,
                seed=meter_seed,
                password=f"{mix(seed, 101, i) % 100_000_000:08d}",
                port=None if port_base is None else port_base + i,
                install_date=install_date + dt.timedelta(days=mix(seed, 102, i) % 90),
                protocol="dlms" if dlms else "iec",
            )
        )
    return specs


def _field(row: Any, name: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def kind_for(
    tariff_group: str | None, generation: str | None = None, balancing_unit: bool = False
) -> CustomerKind:
    """The load shape that suits a service point: generation first, then the tariff group."""
    if generation not in (None, "", Generation.NONE, Generation.NONE.value):
        return CustomerKind.GENERATION
    group = str(tariff_group.value if isinstance(tariff_group, TariffGroup) else tariff_group or "")
    return {
        TariffGroup.INDUSTRY.value: CustomerKind.INDUSTRY,
        TariffGroup.BUSINESS.value: CustomerKind.COMMERCE,
        TariffGroup.RESIDENCE.value: CustomerKind.RESIDENCE,
        TariffGroup.LIGHTING.value: CustomerKind.LIGHTING,
        TariffGroup.AGRICULTURAL_IRRIGATION.value: CustomerKind.COMMERCE,
    }.get(group, CustomerKind.INDUSTRY if balancing_unit else CustomerKind.COMMERCE)


def serial_seed(serial: str) -> int:
    """A stable seed from a serial number (the same meter behaves the same in every run)."""
    return mix(*serial.encode("utf-8")) & 0x7FFFFFFF


def specs_from_meters(rows: Iterable[Any]) -> list[MeterSpec]:
    """Specs from registry or database meter rows (mappings or objects with attributes).

    Fields read: ``serial``, ``flag``, ``model``, ``kind`` (the meter kind: a water, gas or heat
    meter gets its medium's family), ``port``, ``password``, ``device_address``, and the
    service point's ``tariff_group``, ``generation``, ``balancing_unit``; optional
    ``install_date`` (date or datetime), ``family`` and ``peak_w`` (the meter-side peak power,
    see :func:`~.fromdb.meter_side_peak_w`). A missing or non-8-digit password
    becomes ``00000000``. A DLMS water, gas or heat meter is left out (the simulator has none).
    """
    specs = []
    for row in rows:
        serial = str(_field(row, "serial"))
        family = (
            _field(row, "family")
            or family_for(_field(row, "flag"), _field(row, "model"), _field(row, "kind")).key
        )
        password = str(_field(row, "password") or "")
        dlms = _dlms_fields(row)
        if dlms and FAMILIES[family].medium is not MeterKind.ELECTRICITY:
            log.warning("meter %s: no simulated DLMS %s meter; left out", serial, family)
            continue
        installed = _field(row, "install_date")
        if isinstance(installed, dt.datetime):
            installed = (installed.astimezone(dt.UTC) + dt.timedelta(hours=3)).date()
        specs.append(
            MeterSpec(
                serial=serial,
                family=family,
                kind=kind_for(
                    _field(row, "tariff_group"),
                    _field(row, "generation"),
                    bool(_field(row, "balancing_unit", False)),
                ),
                seed=serial_seed(serial),
                password=password if len(password) == 8 and password.isdigit() else "00000000",
                port=_field(row, "port"),
                flag=_field(row, "flag"),
                device_address=_field(row, "device_address"),
                install_date=max(installed or DEFAULT_INSTALL, dt.date(2016, 9, 8)),
                peak_w=_field(row, "peak_w"),
                **dlms,
            )
        )
    return specs


def _dlms_fields(row: Any) -> dict[str, Any]:
    """A DLMS meter's protocol, LLS password and HLS keys from its row (``protocol`` as the
    registry names it)."""
    protocol = str(_field(row, "protocol") or "iec")
    if protocol not in ("dlms", "dlms-hdlc", "dlms-mode-e"):
        return {}
    fields: dict[str, Any] = {"protocol": protocol}
    password = _field(row, "password")
    if password:
        fields["lls_password"] = str(password)
    keys = (_field(row, "dlms_encryption_key"), _field(row, "dlms_authentication_key"))
    if keys[0] and keys[1]:
        fields["dlms_keys"] = (str(keys[0]), str(keys[1]))
    return fields
