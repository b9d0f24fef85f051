"""Quotas of the anonymous forms: how often one address (or one login) may ask for a password
reset, send an application, upload documents and how many bytes, within a window.

Kept in the database (``quota_events``), so every worker process counts the same uses. A use
that is refused is not counted; a use that fails later (an application with a bad document)
is — it cost the same work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from osos.errors import AccessDenied
from osos.store.models.web import QuotaEvent


class QuotaExceeded(AccessDenied):
    """This address (or login) used its quota of the form; ``wait`` until one use expires."""

    def __init__(self, kind: str, wait: dt.timedelta) -> None:
        super().__init__(f"quota of {kind} used up: wait {wait.total_seconds():.0f} s")
        self.kind = kind
        self.wait = wait


@dataclass(frozen=True)
class Use:
    """``len(sizes)`` uses of ``kind`` by ``key``, allowed ``limit`` times (and ``size_limit``
    bytes) within ``window``."""

    kind: str
    key: str
    window: dt.timedelta
    limit: int
    sizes: Sequence[int] = (0,)
    size_limit: int | None = None


def _refusal(session: Session, use: Use, now: dt.datetime) -> QuotaExceeded | None:
    since = now - use.window
    session.execute(delete(QuotaEvent).where(QuotaEvent.kind == use.kind, QuotaEvent.at <= since))
    used, total, first = session.execute(
        select(
            func.count(QuotaEvent.id), func.coalesce(func.sum(QuotaEvent.size), 0),
            func.min(QuotaEvent.at),
        ).where(QuotaEvent.kind == use.kind, QuotaEvent.key == use.key[:200], QuotaEvent.at > since)
    ).one()  # fmt: skip
    over_size = use.size_limit is not None and int(total) + sum(use.sizes) > use.size_limit
    if used + len(use.sizes) <= use.limit and not over_size:
        return None
    wait = (first + use.window - now) if first is not None else use.window
    return QuotaExceeded(use.kind, max(wait, dt.timedelta(seconds=1)))


def take(session: Session, now: dt.datetime, *uses: Use) -> None:
    """Count every use, or none of them when one would pass its quota (QuotaExceeded)."""
    for use in uses:
        refused = _refusal(session, use, now)
        if refused is not None:
            raise refused
    for use in uses:
        session.add_all(
            QuotaEvent(kind=use.kind, key=use.key[:200], at=now, size=size) for size in use.sizes
        )
    session.flush()
