"""YKP Listesi's download without its page: the range's rows from the read model in one read,
written as the screen's own table (:func:`osos.web.screens.ykp.table`), with none of the page's
work (no comparison with the range before, no date-picker floor, no HTML rows, no chart)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from osos.readmodel.access import Sight
from osos.readmodel.intervals import intervals, last_profile_end, totals
from osos.settings import Settings
from osos.web.i18n import Words
from osos.web.screens.common import Download, today
from osos.web.screens.ykp import YkpData, YkpQuery, _hhmm, shown_range, table


def data(session: Session, sight: Sight, q: YkpQuery) -> YkpData:
    """The rows of the range the screen would show for ``q`` (as :func:`ykp.load` reads them),
    and nothing else: the file has no comparison and no date picker."""
    first, last, start, end = shown_range(session, sight, q, last_profile_end(session, sight))
    rows = intervals(session, sight, start, end, q.step, edges="quarters") if end > start else []
    return YkpData(
        sight.point.no, first, last, q.step, q.from_time, q.to_time, tuple(rows), None,
        today(session), first,
    )  # fmt: skip


def file_part(data: YkpData) -> str:
    """What the file name says of the range: '2026-10-01T1015_2026-10-31_15dk'."""
    from_time, to_time = _hhmm(data.from_time), _hhmm(data.to_time)
    return (
        f"{data.first.isoformat()}{'T' + from_time if from_time else ''}_"
        f"{data.last.isoformat()}{'T' + to_time if to_time else ''}"
    ).replace(":", "") + f"_{data.step}dk"


def download(
    session: Session, sight: Sight, q: YkpQuery, settings: Settings, language: str
) -> Download:
    """The screen's table for ``q``, its rows read now and built when the file is written."""
    loaded = data(session, sight, q)
    return Download(table(loaded, Words(language), totals(loaded.rows)), file_part(loaded))
