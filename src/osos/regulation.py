"""Regulatory settings as dated data: changed by an operator, in force from a date, audited.

The numbers the rules give — reactive limits by installed power, validation limits, delivery
deadlines, the OSOS scope limit and rule sets — start as the settings' defaults (``OSOS_*``).
An operator changes one from a date on (never in the past: a result computed before keeps the
setting it used); :func:`settings_at` is the settings in force at an instant, which the month
run, the deliveries, the validation and the scope evaluation ask for. The fee table and the
settlement calendar are dated tables of their own (``fee_schedule``, ``settlement_calendar``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.errors import InvalidInput
from osos.settings import RULESET_KEYS, Settings
from osos.store.db import now as db_now
from osos.store.models.regulation import RegulatorySetting

# key → (the section of Settings, the fields an operator may change)
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reactive": (
        "reactive",
        ("threshold_kva", "inductive_small", "capacitive_small", "inductive_large",
         "capacitive_large"),
    ),
    "validation": (
        "validation",
        ("clock_drift", "zero_consumption", "estimate_prolonged", "spike_factor",
         "power_fail_mask", "clock_set_mask"),
    ),
    "deadlines": (
        "sharing",
        ("balancing_delay", "generation_delay", "settlement_default_day", "alert_margin",
         "estimate_before"),
    ),
    "scope": ("scope", ("limit_kwh", "rulesets", "min_coverage_days", "contract_load_factor")),
}  # fmt: skip


_UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def parse_text(text: str) -> object:
    """A value as an operator types it (command line, back office): ``90min``/``2h``/``30s``/
    ``1d`` → seconds; ``a,b`` → a list; anything else as written (the section checks it)."""
    text = text.strip()
    for unit, seconds in sorted(_UNITS.items(), key=lambda u: -len(u[0])):
        number = text.removesuffix(unit)
        if number != text and number.isascii() and number.isdigit():
            return int(number) * seconds
    return [part.strip() for part in text.split(",")] if "," in text else text


@dataclass(frozen=True)
class SettingChange:
    key: str
    valid_from: dt.datetime
    values: Mapping[str, Any]  # JSON values: durations in seconds, numbers as exact text
    reason: str | None
    changed_by: str
    changed_at: dt.datetime


def _encode(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple):
        return list(value)
    return value


def _decode(field: str, default: Any, value: Any) -> Any:
    """A JSON (or typed) value as the type of the field's current value; refused by name."""
    try:
        if value is None:
            return None
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, dt.timedelta) or field.endswith(("_delay", "_margin", "_before")):
            return dt.timedelta(seconds=int(value))
        if isinstance(default, Decimal) or field in ("contract_load_factor",):
            number = Decimal(str(value))
            if not number.is_finite() or number < 0:
                raise InvalidInput("must be a number ≥ 0")
            return number
        if isinstance(default, int):
            return int(value)
        if isinstance(default, tuple):
            keys = tuple(str(v) for v in value)
            unknown = [k for k in keys if k not in RULESET_KEYS]
            if unknown or not keys:
                raise InvalidInput(f"rule sets are among {', '.join(RULESET_KEYS)}")
            return keys
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidInput(f"{field}: not a valid value: {value!r} ({exc})") from None
    return value


def section_at(base: Settings, rows: list[RegulatorySetting], key: str) -> Any:
    """The section ``key`` names, with the newest of ``rows`` (sorted by date) applied."""
    name, _fields = SECTIONS[key]
    section = getattr(base, name)
    for row in rows:
        changes = json.loads(row.value)
        section = dataclasses.replace(
            section,
            **{f: _decode(f, getattr(section, f), v) for f, v in changes.items()},
        )
    return section


def _rows(session: Session, key: str | None, at: dt.datetime | None) -> list[RegulatorySetting]:
    query = select(RegulatorySetting).order_by(RegulatorySetting.valid_from)
    if key is not None:
        query = query.where(RegulatorySetting.key == key)
    if at is not None:
        query = query.where(RegulatorySetting.valid_from <= at)
    return list(session.scalars(query))


def settings_at(session: Session, base: Settings, at: dt.datetime) -> Settings:
    """The settings in force at ``at``: the defaults with every change dated up to then."""
    rows = _rows(session, None, at)
    changes: dict[str, Any] = {}
    for key, (name, _fields) in SECTIONS.items():
        mine = [r for r in rows if r.key == key]
        if mine:
            changes[name] = section_at(base, mine, key)
    return dataclasses.replace(base, **changes) if changes else base


def set_value(
    session: Session,
    base: Settings,
    key: str,
    values: Mapping[str, Any],
    *,
    valid_from: dt.datetime,
    by: str,
    reason: str,
) -> SettingChange:
    """Change fields of a setting from ``valid_from`` on (not before now); audited."""
    if key not in SECTIONS:
        raise InvalidInput(f"unknown setting {key!r}; known: {', '.join(SECTIONS)}")
    _name, fields = SECTIONS[key]
    unknown = sorted(set(values) - set(fields))
    if unknown or not values:
        raise InvalidInput(f"{key}: fields are {', '.join(fields)}, got {', '.join(unknown)}")
    if not reason.strip():
        raise InvalidInput("a change needs its reason (the decision it follows)")
    now = db_now(session)
    if valid_from < now:
        raise InvalidInput("a change takes effect from now or later, never in the past")
    current = section_at(base, _rows(session, key, valid_from), key)
    typed = {f: _decode(f, getattr(current, f), v) for f, v in values.items()}
    dataclasses.replace(current, **typed)  # the section accepts them
    stored = {f: _encode(v) for f, v in typed.items()}
    session.add(
        RegulatorySetting(
            key=key, valid_from=valid_from, value=json.dumps(stored), reason=reason, changed_by=by
        )
    )
    audit.record(
        session,
        actor=by,
        action="regulation.change",
        object_type="regulatory_setting",
        object_id=key,
        detail={"valid_from": valid_from.isoformat(), "values": stored, "reason": reason},
    )
    session.flush()
    return SettingChange(key, valid_from, stored, reason, by, now)


def history(session: Session, key: str | None = None) -> list[SettingChange]:
    """Every change, oldest first (the back office's list and its export)."""
    return [
        SettingChange(
            r.key, r.valid_from, json.loads(r.value), r.reason, r.changed_by, r.changed_at
        )
        for r in _rows(session, key, None)
    ]
