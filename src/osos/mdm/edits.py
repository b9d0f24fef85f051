"""An operator's edit of stored interval data: a new version, the old one kept with who, when
and why, an audit entry; and every version of an interval for the back office to show."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from osos import audit
from osos.channels import BY_OBIS, CHANNELS, to_milli
from osos.domain import DataSource
from osos.errors import DataRejected, NotFound, OsosError
from osos.mdm.determinants import mark_dirty
from osos.mdm.model import INTERVAL
from osos.store.db import now as db_now
from osos.store.models import Meter, ProfileIntervalHistory, profile_intervals


class EditRefused(OsosError):
    """An operator edit that cannot be applied (no reason, unknown channel, bad value)."""


def _meter(session: Session, meter_id: int) -> Meter:
    meter = session.get(Meter, meter_id)
    if meter is None:
        raise NotFound(f"unknown meter id {meter_id}")
    return meter


_COLUMNS = tuple(c.column for c in CHANNELS)


def _values_json(row: Mapping[str, Any]) -> str:
    values: dict[str, Any] = {c: row[c] for c in _COLUMNS if row.get(c) is not None}
    if row.get("extra"):
        values["extra"] = json.loads(row["extra"])
    values["status"] = row.get("status")
    return json.dumps(values, sort_keys=True)


def _changes(values: Mapping[str, Decimal]) -> dict[str, int]:
    """OBIS → new value as the interval table's columns in milli-units; refused by name."""
    changes: dict[str, int] = {}
    for obis, value in values.items():
        channel = BY_OBIS.get(obis)
        if channel is None:
            raise EditRefused(f"{obis} is not a profile channel")
        try:
            changes[channel.column] = to_milli(value)
        except DataRejected as exc:
            raise EditRefused(f"{obis}: {exc}") from exc
    return changes


def _supersede(
    session: Session, stored: Mapping[str, Any], changes: dict[str, int], user: str, reason: str
) -> int:
    """Keep the stored version in the history, write the edited one; its version number."""
    table = profile_intervals
    session.add(
        ProfileIntervalHistory(
            meter_id=stored["meter_id"],
            end_at=stored["end_at"],
            version=stored["version"],
            source=DataSource(stored["source"]),
            values=_values_json(stored),
            readout_id=stored["readout_id"],
            superseded_at=db_now(session),
            superseded_by=user,
            reason=reason,
        )
    )
    version = int(stored["version"]) + 1
    session.execute(
        update(table)
        .where(
            table.c.meter_id == stored["meter_id"],
            table.c.end_at == stored["end_at"],
            table.c.version == stored["version"],
        )
        .values(source=DataSource.EDITED.value, version=version, **changes)
    )
    return version


def edit_interval(
    session: Session,
    meter_id: int,
    end_at: dt.datetime,
    values: Mapping[str, Decimal],
    *,
    user: str,
    reason: str,
    user_id: int | None = None,
) -> int:
    """An operator's correction of one interval: a new version (``source=edited``), the old one
    kept in ``profile_interval_history`` with who, when and why, and an audit entry.

    ``values`` maps OBIS → new value; channels not named keep their value. Returns the new
    version number.
    """
    if not reason.strip():
        raise EditRefused("an edit needs a reason")
    if not values:
        raise EditRefused("nothing to change")
    meter = _meter(session, meter_id)
    changes = _changes(values)
    table = profile_intervals
    stored = (
        session.execute(select(table).where(table.c.meter_id == meter_id, table.c.end_at == end_at))
        .mappings()
        .one_or_none()
    )
    old: dict[str, Any] | None = None
    if stored is None:
        session.execute(
            table.insert().values(
                meter_id=meter_id, end_at=end_at, source=DataSource.EDITED.value, version=1,
                **changes,
            )
        )  # fmt: skip
        version = 1
    else:
        version = _supersede(session, dict(stored), changes, user, reason)
        old = {c: stored[c] for c in changes}
    audit.record(
        session,
        actor=user,
        user_id=user_id,
        action="mdm.interval.edit",
        object_type="profile_interval",
        object_id=f"{meter.serial}@{end_at.isoformat()}",
        detail={"reason": reason, "old": old, "new": changes, "version": version},
    )
    mark_dirty(session, meter_id, end_at - INTERVAL, end_at)
    return version


@dataclass(frozen=True)
class IntervalVersion:
    """One version of an interval: the current row or a superseded one from the history."""

    end: dt.datetime
    version: int
    source: str
    values: Mapping[str, Decimal]
    current: bool
    superseded_at: dt.datetime | None = None
    superseded_by: str | None = None
    reason: str | None = None


def interval_versions(
    session: Session, meter_id: int, start: dt.datetime, end: dt.datetime
) -> list[IntervalVersion]:
    """Every version of the meter's intervals in ``(start, end]`` (replaced estimates and
    edits included), by end time then version."""
    table = profile_intervals
    result = []
    for row in session.execute(
        select(table).where(
            table.c.meter_id == meter_id, table.c.end_at > start, table.c.end_at <= end
        )
    ).mappings():
        values = {
            c.obis: Decimal(row[c.column]).scaleb(-3) for c in CHANNELS if row[c.column] is not None
        }
        result.append(IntervalVersion(row["end_at"], row["version"], row["source"], values, True))
    for h in session.execute(
        select(ProfileIntervalHistory).where(
            ProfileIntervalHistory.meter_id == meter_id,
            ProfileIntervalHistory.end_at > start,
            ProfileIntervalHistory.end_at <= end,
        )
    ).scalars():
        data = json.loads(h.values)
        values = {
            c.obis: Decimal(data[c.column]).scaleb(-3)
            for c in CHANNELS
            if data.get(c.column) is not None
        }
        result.append(
            IntervalVersion(
                h.end_at, h.version, h.source.value, values, False,
                h.superseded_at, h.superseded_by, h.reason,
            )
        )  # fmt: skip
    result.sort(key=lambda v: (v.end, v.version))
    return result
