"""The registry file's columns and the validation of one row — pure, no database.

Every problem of a row is reported (not only the first), each naming the row, the column and
what was wrong, so an operator can fix a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from osos import eic
from osos.domain import (
    CommMode,
    Connection,
    Generation,
    MeterKind,
    Protocol,
    SmartClass,
    TariffGroup,
)
from osos.errors import InvalidInput
from osos.timeutil import parse_local

COLUMNS: tuple[str, ...] = (
    "service_point_no",
    "title",
    "etso_code",
    "region",
    "center",
    "district",
    "connection",
    "voltage_level",
    "contract_power_kw",
    "installed_power_kva",
    "balancing_unit",
    "generation",
    "customer_organisation",
    "meter_serial",
    "flag",
    "make",
    "model",
    "protocol",
    "meter_kind",
    "address",
    "ct_ratio",
    "vt_ratio",
    "installed_at",
    "supplier",
    "supplier_from",
    # Additions beyond the original list (all optional):
    "tariff_group",
    "exchange_point",
    "linked_generation",
    "osb",
    "meter_password",
    "device_address",
    "install_index",
    "removal_index",
    "pano",
    "smart_meter",
    "meter_year",
    # DLMS/COSEM meters (docs/dlms.md; the LLS password is meter_password):
    "dlms_client_sap",
    "dlms_server_logical",
    "dlms_server_physical",
    "dlms_authentication",
    "dlms_encryption_key",
    "dlms_authentication_key",
    "dlms_system_title",
    "dlms_meter_system_title",
)
REQUIRED: frozenset[str] = frozenset(
    {"service_point_no", "meter_serial", "flag", "ct_ratio", "vt_ratio", "installed_at"}
)

MAX_DIGITS = 15  # digits before the point of a registry number (powers, ratios)
_YES = {"yes", "y", "true", "1", "evet", "e", "var"}
_NO = {"no", "n", "false", "0", "hayır", "hayir", "h", "yok", ""}
_ALIASES: dict[str, str] = {
    "iletim": "transmission",
    "dağıtım": "distribution",
    "dagitim": "distribution",
    "yok": "none",
    "lisanslı": "licensed",
    "lisansli": "licensed",
    "lisanssız": "unlicensed",
    "lisanssiz": "unlicensed",
    "iec": "iec62056-21",
    "iec 62056-21": "iec62056-21",
    "iec62056_21": "iec62056-21",
    "dlms/cosem": "dlms",
    "dlms-wrapper": "dlms",
    "hdlc": "dlms-hdlc",
    "mode-e": "dlms-mode-e",
    "elektrik": "electricity",
    "su": "water",
    "gaz": "gas",
    "ısı": "heat",
    "sanayi": "industry",
    "ticarethane": "business",
    "mesken": "residence",
    "tarımsal sulama": "agricultural_irrigation",
    "aydınlatma": "lighting",
    "akıllı sayaç pro": "pro",
    "akıllı sayaç eko": "eko",
}


@dataclass(frozen=True)
class RegistryRow:
    """One valid row. ``None`` means: the file says nothing, keep what is stored."""

    row: int
    service_point_no: str
    meter_serial: str
    flag: str
    ct_ratio: Decimal
    vt_ratio: Decimal
    installed_at: dt.datetime
    service_point: dict[str, Any] = field(default_factory=dict)
    meter: dict[str, Any] = field(default_factory=dict)
    customer_organisation: str | None = None
    osb: str | None = None
    supplier: str | None = None
    supplier_from: dt.datetime | None = None
    linked_generation: str | None = None
    install_index: dict[str, str] | None = None
    removal_index: dict[str, str] | None = None


def _text(max_len: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_len:
            raise InvalidInput(f"longer than {max_len} characters")
        return value

    return parse


def _decimal(value: str) -> Decimal:
    try:
        number = (
            Decimal(value.replace(",", "."))
            if value.count(",") == 1 and "." not in value
            else Decimal(value)
        )
    except InvalidOperation:
        raise InvalidInput(f"not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"must be a number ≥ 0, got {value!r}")
    if number.adjusted() >= MAX_DIGITS:  # 1e999999 would overflow every later computation
        raise InvalidInput(f"must be below 10^{MAX_DIGITS}, got {value[:40]!r}")
    return number


def _ratio(value: str) -> Decimal:
    """``100/5`` or ``20`` → 20; transformer ratios are exact."""
    parts = value.split("/")
    if len(parts) > 2:
        raise InvalidInput(f"a ratio is N or N/M, got {value!r}")
    numbers = [_decimal(p.strip()) for p in parts]
    if any(n == 0 for n in numbers):
        raise InvalidInput(f"a ratio cannot be zero: {value!r}")
    ratio = numbers[0] / numbers[1] if len(numbers) == 2 else numbers[0]
    return Decimal(int(ratio)) if ratio == ratio.to_integral_value() else ratio


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise InvalidInput(f"expected yes/no (evet/hayır), got {value!r}")


def _choice(enum_cls: type[Any]) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        key = _ALIASES.get(value.lower(), value.lower())
        try:
            return enum_cls(key)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            raise InvalidInput(f"{value!r} is not one of: {allowed}") from None

    return parse


def _time(value: str) -> dt.datetime:
    return parse_local(value)


def _flag(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise InvalidInput(f"a FLAG is three letters, got {value!r}")
    return value.upper()


def _etso(value: str) -> str:
    code = value.upper()
    problem = eic.validate(code)
    if problem:
        raise InvalidInput(problem)
    return code


def _address(value: str) -> tuple[CommMode, str | None, int | None]:
    lowered = value.lower()
    if lowered in {"dial-in", "dial_in", "dialin"}:
        return CommMode.DIAL_IN, None, None
    if lowered in {"none", "yok", "-"}:
        return CommMode.NONE, None, None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"expected host:port or dial-in, got {value!r}")
    return CommMode.DIAL_OUT, host, int(port)


def _year(value: str) -> int:
    """A meter's production year (the 2026 rules look at the age of a pano's meters)."""
    if not (value.isascii() and value.isdigit() and len(value) == 4 and 1950 <= int(value) <= 2100):
        raise InvalidInput(f"a production year is four digits, 1950-2100, got {value!r}")
    return int(value)


def _index(value: str) -> dict[str, str]:
    """``1.8.0=123.456 5.8.0=7.1`` → {"1.8.0": "123.456", …} (space or | separated)."""
    result: dict[str, str] = {}
    for item in re.split(r"[\s|]+", value):
        obis, sep, number = item.partition("=")
        if not sep:
            raise InvalidInput(f"expected OBIS=value pairs, got {item!r}")
        result[obis] = str(_decimal(number))
    return result


def _number(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            raise InvalidInput(f"a whole number {low}-{high}, got {value!r}")
        return int(value)

    return parse


def _hex(digits: int) -> Callable[[str], str]:
    """A key or system title as hex (spaces allowed), kept lower-case."""

    def parse(value: str) -> str:
        text = value.replace(" ", "").lower()
        if len(text) != digits or not re.fullmatch(r"[0-9a-f]*", text):
            raise InvalidInput(f"{digits} hex digits expected")  # never echo a key
        return text

    return parse


def _authentication(value: str) -> str:
    lowered = value.lower().replace("_", "-")
    if lowered not in DLMS_AUTHENTICATION:
        raise InvalidInput(f"{value!r} is not one of: {', '.join(DLMS_AUTHENTICATION)}")
    return lowered


DLMS_AUTHENTICATION: tuple[str, ...] = ("none", "lls", "hls-gmac")

_SP_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "title": ("title", _text(200)),
    "etso_code": ("etso_code", _etso),
    "region": ("region", _text(100)),
    "center": ("center", _text(100)),
    "district": ("district", _text(100)),
    "connection": ("connection", _choice(Connection)),
    "voltage_level": ("voltage_level", _text(32)),
    "contract_power_kw": ("contract_power_kw", _decimal),
    "installed_power_kva": ("installed_power_kva", _decimal),
    "balancing_unit": ("balancing_unit", _bool),
    "generation": ("generation", _choice(Generation)),
    "tariff_group": ("tariff_group", _choice(TariffGroup)),
    "exchange_point": ("exchange_point", _bool),
    "pano": ("pano", _text(64)),
}
_METER_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "make": ("make", _text(64)),
    "model": ("model", _text(64)),
    "protocol": ("protocol", _choice(Protocol)),
    "meter_kind": ("kind", _choice(MeterKind)),
    "meter_password": ("password", _text(64)),
    "device_address": ("device_address", _text(32)),
    "smart_meter": ("smart_class", _choice(SmartClass)),
    "meter_year": ("manufactured_year", _year),
    "dlms_client_sap": ("dlms_client_sap", _number(0, 127)),
    "dlms_server_logical": ("dlms_server_logical", _number(0, 0x3FFF)),
    "dlms_server_physical": ("dlms_server_physical", _number(0, 0x3FFF)),
    "dlms_authentication": ("dlms_authentication", _authentication),
    "dlms_encryption_key": ("dlms_encryption_key", _hex(32)),
    "dlms_authentication_key": ("dlms_authentication_key", _hex(32)),
    "dlms_system_title": ("dlms_system_title", _hex(16)),  # the client's (osos's)
    "dlms_meter_system_title": ("dlms_meter_system_title", _hex(16)),  # the meter's own
}


def parse_row(number: int, cells: dict[str, str]) -> tuple[RegistryRow | None, list[str]]:
    """Validate one row: the row, or every problem found in it."""
    errors: list[str] = []

    def get(column: str, parser: Callable[[str], Any]) -> Any:
        value = cells.get(column, "").strip()
        if not value:
            if column in REQUIRED:
                errors.append(f"row {number}, column {column}: required but empty")
            return None
        try:
            return parser(value)
        except (InvalidInput, ValueError) as exc:  # ours, or a standard parser's
            errors.append(f"row {number}, column {column}: {exc}")
            return None

    sp_no = get("service_point_no", _text(32))
    serial = get("meter_serial", _text(32))
    flag = get("flag", _flag)
    ct = get("ct_ratio", _ratio)
    vt = get("vt_ratio", _ratio)
    installed_at = get("installed_at", _time)
    service_point = {
        attr: v for col, (attr, p) in _SP_FIELDS.items() if (v := get(col, p)) is not None
    }
    meter = {attr: v for col, (attr, p) in _METER_FIELDS.items() if (v := get(col, p)) is not None}
    if meter.get("dlms_authentication") == "hls-gmac":
        for column in ("dlms_encryption_key", "dlms_authentication_key"):
            if column not in meter:
                errors.append(f"row {number}, column {column}: required for hls-gmac")
    address = get("address", _address)
    if address is not None:
        meter["comm_mode"], meter["host"], meter["port"] = address
    supplier = get("supplier", _text(200))
    supplier_from = get("supplier_from", _time)
    if supplier and supplier_from is None and not errors:
        errors.append(f"row {number}, column supplier_from: required when supplier is given")
    if supplier_from is not None and not supplier:
        errors.append(f"row {number}, column supplier: required when supplier_from is given")
    row = RegistryRow(
        row=number,
        service_point_no=sp_no,
        meter_serial=serial,
        flag=flag,
        ct_ratio=ct,
        vt_ratio=vt,
        installed_at=installed_at,
        service_point=service_point,
        meter=meter,
        customer_organisation=get("customer_organisation", _text(200)),
        osb=get("osb", _text(200)),
        supplier=supplier,
        supplier_from=supplier_from,
        linked_generation=get("linked_generation", _text(32)),
        install_index=get("install_index", _index),
        removal_index=get("removal_index", _index),
    )
    return (None, errors) if errors else (row, [])


def check_columns(columns: tuple[str, ...]) -> list[str]:
    """Header problems: unknown columns and missing required ones."""
    errors = []
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        errors.append(f"row 1: unknown column(s): {', '.join(unknown)}")
    missing = sorted(REQUIRED - set(columns))
    if missing:
        errors.append(f"row 1: required column(s) missing: {', '.join(missing)}")
    return errors
