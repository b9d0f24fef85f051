"""The audit log: one call, used by every layer that shows or changes data."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from osos.store.db import now
from osos.store.models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    user_id: int | None = None,
    ip: str | None = None,
    outcome: str = "ok",
) -> None:
    """Add an audit entry to the session's transaction (it commits with the work it records)."""
    session.add(
        AuditEntry(
            at=now(session),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
            user_id=user_id,
            ip=ip,
            outcome=outcome,
        )
    )
