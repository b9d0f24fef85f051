"""HLS-GMAC invocation counters that never repeat: a block is reserved in the database (and
committed) before each ciphered call, the call counts within it.

Counters may skip (a call that used ten of its block leaves the rest unused) but never go
back, also after a crash or a restart: the next call's block starts where the stored value
says. One session per meter at a time (the modem lock) keeps two calls from sharing a block.

The other way: a meter's ciphered pushes carry the meter's own counter; the highest one seen
is kept (``received_value``) and a push that does not grow past it is refused as a replay.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.headend.readplan import ReadRequest
from osos.headend.storage import Database
from osos.protocol.dlms.errors import SecurityError
from osos.store.models.headend import DlmsFrameCounter

BLOCK: Final = 4096  # APDUs one call may cipher (a 40-day profile read needs a few hundred)
LIMIT: Final = 0xFFFFFFFF


def _locked_row(session: Session, meter_id: int) -> DlmsFrameCounter:
    """The meter's counters, locked until commit on PostgreSQL (SQLite writes one at a time)."""
    query = select(DlmsFrameCounter).where(DlmsFrameCounter.meter_id == meter_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        row = DlmsFrameCounter(meter_id=meter_id, next_value=0)
        session.add(row)
    return row


def reserve(session: Session, meter_id: int, block: int = BLOCK) -> tuple[int, int]:
    """(first, last): the call may use the counters after ``first`` up to ``last``."""
    row = _locked_row(session, meter_id)
    first = row.next_value
    if first >= LIMIT:
        raise SecurityError(f"meter {meter_id}: invocation counter exhausted: change the keys")
    row.next_value = min(LIMIT, first + block)
    session.flush()
    return first, row.next_value


class ReservedFrameCounter:
    """A :class:`~osos.protocol.dlms.security.FrameCounter` over one reserved block."""

    def __init__(self, first: int, last: int) -> None:
        self.value = first
        self.last = last

    def next_value(self) -> int:
        if self.value >= self.last:
            raise SecurityError("the call used up its block of invocation counters")
        self.value += 1
        return self.value


async def reserve_for(
    db: Database, meter_id: int, request: ReadRequest
) -> ReservedFrameCounter | None:
    """A block of counters for an HLS-GMAC call, committed before the call (None: no HLS)."""
    if request.dlms is None or request.dlms.authentication != "hls-gmac":
        return None
    first, last = await db.run(lambda session: reserve(session, meter_id))
    return ReservedFrameCounter(first, last)


def accept_received(session: Session, meter_id: int, counter: int) -> None:
    """Take ``counter`` as the meter's newest pushed invocation counter; SecurityError (and
    nothing changed) when it does not grow past the stored one: a replayed or older push."""
    row = _locked_row(session, meter_id)
    last = row.received_value
    if last is not None and counter <= last:
        kind = "replayed" if counter == last else "older"
        raise SecurityError(
            f"{kind} invocation counter {counter} (the meter's last push had {last}): refused"
        )
    row.received_value = counter
    session.flush()
