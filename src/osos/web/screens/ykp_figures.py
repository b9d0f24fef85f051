"""The figures of YKP Listesi — the range's intervals and its comparison with the range just
before it — read once per data stamp and kept (:data:`FIGURES`).

One read serves both ranges: the installations of the two, then (unless kept) their meters'
profiles in one indexed query; the comparison sums the withdrawal of the stored quarters
directly (no second ``interval_consumption``, no interval object per quarter). The key of what
is kept names the database, the point, exactly the parts of both ranges the viewer may see,
the range, the step, the installations and the stored rows' stamp (count, version sum, newest
readout per meter): a late or corrected row, a meter change or another viewer's windows make
another key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from osos.mdm.fingerprints import digest
from osos.readmodel.access import Sight
from osos.readmodel.intervals import Interval, data_stamp, installations, load_range
from osos.settings import Settings
from osos.web.memo import Memo

KEPT = 16  # ranges kept per web process (a month of quarters: ~3,000 intervals, ~6 MB)


@dataclass(frozen=True)
class Comparison:
    """The range against the same length just before it, with the data behind each total."""

    start: dt.datetime
    end: dt.datetime
    withdrawal_kwh: Decimal
    change_pct: Decimal | None
    quarters: int  # quarters with data in this range
    quarters_before: int  # … and in the one before

    @property
    def comparable(self) -> bool:
        return self.quarters == self.quarters_before


def compare(
    now: tuple[Decimal, int],
    then: tuple[Decimal, int],
    before_start: dt.datetime,
    start: dt.datetime,
) -> Comparison:
    """This range's (withdrawal, quarters with data) against those of [before_start, start)."""
    now_total, then_total = now[0], then[0]
    change = (
        ((now_total - then_total) / then_total * 100).quantize(Decimal("0.1"))
        if then_total
        else None
    )
    return Comparison(before_start, start, then_total, change, now[1], then[1])


@dataclass(frozen=True)
class Figures:
    rows: tuple[Interval, ...]
    comparison: Comparison | None
    stamp: str  # the key they are kept under


FIGURES: Memo[str, Figures] = Memo(KEPT)


def figures(
    session: Session,
    sight: Sight,
    settings: Settings,
    start: dt.datetime,
    end: dt.datetime,
    step: int,
) -> Figures:
    """The rows of [start, end) by ``step`` (partial edges as quarters) and the comparison."""
    before_start = start - (end - start)
    spans = installations(session, sight, before_start, end)
    stamp = digest(
        [
            settings.database.url,
            sight.point.id,
            sight.parts(start, end),
            sight.parts(before_start, start),
            start,
            end,
            step,
            [dataclasses.astuple(s) for s in spans],
            data_stamp(session, spans, before_start, end),
        ]
    )
    kept = FIGURES.get(stamp)
    if kept is not None:
        return kept
    data = load_range(session, sight, spans, before_start, end)
    rows = data.intervals(start, end, step, edges="quarters") if end > start else []
    comparison = None
    if sight.parts(before_start, start):
        now = data.withdrawal(start, end)
        comparison = compare(now, data.withdrawal(before_start, start), before_start, start)
    result = Figures(tuple(rows), comparison, stamp)
    FIGURES.put(stamp, result)
    return result
