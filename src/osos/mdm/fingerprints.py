"""What a stored month's fingerprint covers, and the fingerprints of many months at once.

:func:`osos.mdm.determinants.fingerprint` digests one service point's month (installations,
the interval rows' count, version sum and newest readout, the readouts' count and newest id);
:func:`fingerprints` gives the same digests for a chunk from three grouped queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.mdm.loading import READ_MARGIN
from osos.mdm.model import INTERVAL
from osos.store.models import Installation, Readout, profile_intervals
from osos.timeutil import month_bounds

#: The installation columns a fingerprint covers, in its order.
FINGERPRINT_INSTALLS = (
    Installation.id,
    Installation.meter_id,
    Installation.installed_at,
    Installation.removed_at,
    Installation.ct_ratio,
    Installation.vt_ratio,
    Installation.install_index,
    Installation.removal_index,
)
#: The window of interval rows and readouts a fingerprint covers around ``[start, end]``.
FINGERPRINT_BEFORE = INTERVAL + dt.timedelta(days=2)
FINGERPRINT_AFTER = dt.timedelta(days=2)


def digest(parts: list[Any]) -> str:
    text = json.dumps(parts, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _combine(parts: Iterable[tuple[Any, ...]]) -> list[Any]:
    """(count, sum, max) per meter → the same aggregate over all of them."""
    rows = list(parts)
    sums = [r[1] for r in rows if r[1] is not None]
    highs = [r[-1] for r in rows if r[-1] is not None]
    combined = [sum(r[0] for r in rows)]
    if len(rows[0]) == 3:
        combined.append(sum(sums) if sums else None)
    combined.append(max(highs) if highs else None)
    return combined


def fingerprints(
    session: Session,
    service_point_ids: Sequence[int],
    period: str,
    known: Mapping[int, tuple[int, int | None, int | None]] | None = None,
) -> dict[int, str]:
    """:func:`~osos.mdm.determinants.fingerprint` of each service point's month.

    ``known``: meters whose interval rows in the window (count, version sum, newest readout id)
    are already counted (by the set-based run's bulk read); only the others are queried — one
    query over a month partition per chunk otherwise, a scan of the whole partition each time
    when the rows are stored time-major."""
    start, end = month_bounds(period)
    installs: dict[int, list[Any]] = {sp: [] for sp in service_point_ids}
    for row in session.execute(
        select(Installation.service_point_id, *FINGERPRINT_INSTALLS)
        .where(
            Installation.service_point_id.in_(service_point_ids),
            Installation.installed_at <= end,
            (Installation.removed_at.is_(None)) | (Installation.removed_at >= start),
        )
        .order_by(Installation.id)
    ):
        installs[row[0]].append(row[1:])
    meters = sorted({row[1] for rows in installs.values() for row in rows})
    table = profile_intervals
    known = known or {}
    profile = {m: known[m] for m in meters if m in known}
    unknown = [m for m in meters if m not in known]
    profile |= {
        m: (n, s, r)
        for m, n, s, r in session.execute(
            select(table.c.meter_id, func.count(), func.sum(table.c.version),
                   func.max(table.c.readout_id))
            .where(table.c.meter_id.in_(unknown),
                   table.c.end_at >= start - FINGERPRINT_BEFORE,
                   table.c.end_at <= end + FINGERPRINT_AFTER)
            .group_by(table.c.meter_id)
        )
    }  # fmt: skip
    reads = {
        m: (n, r)
        for m, n, r in session.execute(
            select(Readout.meter_id, func.count(), func.max(Readout.id))
            .where(Readout.meter_id.in_(meters), Readout.read_at >= start - READ_MARGIN,
                   Readout.read_at <= end + READ_MARGIN)
            .group_by(Readout.meter_id)
        )
    }  # fmt: skip
    result = {}
    for sp, rows in installs.items():
        parts: list[Any] = [[str(v) for v in row] for row in rows]
        ids = sorted({row[1] for row in rows})
        if ids:
            parts.append(_combine(profile.get(m, (0, None, None)) for m in ids))
            parts.append(_combine(reads.get(m, (0, None)) for m in ids))
        result[sp] = digest(parts)
    return result
