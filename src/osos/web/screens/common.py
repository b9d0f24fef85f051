"""What the screens of one service point share: the shape of a screen, typed query parameters
that fall back to the defaults, and the pieces of their pages and files.

A screen is three steps (:class:`Screen`): its query parameters (a pydantic model whose bad
values fall back to the defaults, as the panel always did), ``load`` (the read model: every
query, bounded by the viewer's sight), and ``view`` (pure: the read-model data and a language
in, the frozen page context and the download out — tests call it without HTTP). A screen whose
file is large may add a fourth, ``file``: the download alone, read without the page's other
queries and without building the page (YKP Listesi: a month of quarters).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from sqlalchemy.orm import Session

from osos.errors import InvalidInput
from osos.exports import Cell, Table, When
from osos.mdm.billing import MonthlyReport
from osos.readmodel.access import Sight
from osos.readmodel.intervals import last_profile_end
from osos.readmodel.months import month_results
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.timeutil import DAY, local_date, month_bounds, month_start_before, period_of
from osos.web.i18n import Words

FIRST_YEAR, LAST_YEAR = 2000, 2100  # no calendar arithmetic near the edges of time
SOURCE_KEYS = {
    "actual": "src_actual",
    "estimated": "src_estimated",
    "edited": "src_edited",
    "missing": "src_missing",
}

Q = TypeVar("Q", bound=BaseModel)
D = TypeVar("D")


@dataclass(frozen=True)
class Page:
    """A screen as shown: the template's context (a frozen dataclass), the download, what the
    file name says beyond the screen and the point, and other downloads by ``?veri=``."""

    context: Any
    table: Table
    file_part: str = ""
    tables: Mapping[str, Table] = field(default_factory=dict)

    def template_context(self) -> dict[str, Any]:
        return {f.name: getattr(self.context, f.name) for f in dataclasses.fields(self.context)}


@dataclass(frozen=True)
class Download:
    """A screen's file without its page: the table and what the file name says of it."""

    table: Table
    file_part: str = ""


@dataclass(frozen=True)
class Screen(Generic[Q, D]):
    """One screen of a service point: its route name, template, file label and three steps,
    and optionally its download on its own (``file``: the same table the page's would be)."""

    name: str
    template: str
    file_label: str
    query: Callable[..., Q]  # a FastAPI dependency returning the screen's typed parameters
    load: Callable[[Session, Sight, Q, Settings], D]
    view: Callable[[D, str], Page]
    file: Callable[[Session, Sight, Q, Settings, str], Download] | None = None


# --------------------------------------------------------------------------------------------
# Typed query parameters with the panel's fallbacks


class ScreenQuery(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


def _day(value: object) -> dt.date | None:
    """An ISO date within the panel's years; anything else is no date (the default applies)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _month(value: object) -> str | None:
    """'YYYY-MM' within the panel's years, else None."""
    if not isinstance(value, str):
        return None
    head = value.split("-")[0]
    if not (head.isascii() and head.isdigit() and FIRST_YEAR <= int(head) <= LAST_YEAR):
        return None
    try:
        month_bounds(value)
    except InvalidInput:
        return None
    return value


Day = Annotated[dt.date | None, BeforeValidator(_day)]
Month = Annotated[str | None, BeforeValidator(_month)]


class NoQuery(ScreenQuery):
    """A screen without parameters."""


def no_query() -> NoQuery:
    return NoQuery()


# --------------------------------------------------------------------------------------------
# Shared loading


def default_day(session: Session, sight: Sight) -> dt.date:
    """The day of the latest interval the viewer may see, else yesterday."""
    return day_of_last(session, last_profile_end(session, sight))


def day_of_last(session: Session, last: dt.datetime | None) -> dt.date:
    """:func:`default_day` from the latest interval end the viewer may see."""
    if last is None:
        return local_date(db_now(session)) - DAY
    return local_date(last - dt.timedelta(seconds=1))


def today(session: Session) -> dt.date:
    return local_date(db_now(session))


def _empty(report: MonthlyReport) -> bool:
    return all(v is None for v in report.consumption.values()) and all(
        d is None for d in report.max_demand.values()
    )


def history(
    session: Session, sight: Sight, months: int, settings: Settings, upto: str | None = None
) -> list[MonthlyReport]:
    """The visible months up to ``upto`` (default: last month), oldest first, from the first
    with data (months before it are not gaps)."""
    last = month_start_before(db_now(session), 1) if upto is None else month_bounds(upto)[0]
    periods = [period_of(month_start_before(last, k)) for k in range(months - 1, -1, -1)]
    reports = month_results(session, sight, periods, settings)
    while reports and _empty(reports[0]):
        reports.pop(0)
    return reports


# --------------------------------------------------------------------------------------------
# Shared viewing


def source_label(w: Words, source: str) -> str:
    return w.t(SOURCE_KEYS.get(source, source))


def when(w: Words, value: dt.datetime | None, seconds: bool = True) -> Cell:
    """A time for a table: a date-time in Excel, the screen's text in CSV (written only when a
    CSV is: an Excel file of a month of quarters has 6,000 of them)."""
    if value is None:
        return None
    return When(value, seconds=seconds, language=w.language)
