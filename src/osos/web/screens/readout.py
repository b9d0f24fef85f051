"""Readout Listesi: the latest (or a chosen) readout with every register and its name, the
readouts before it, and the period totals at a glance (today, this month, last month)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from osos.exports import Column, Table
from osos.mdm.billing import MonthlyReport
from osos.obis import lookup
from osos.readmodel.access import NotVisible, Sight
from osos.readmodel.intervals import Interval, intervals
from osos.readmodel.months import month_results
from osos.readmodel.readouts import ReadoutView, readout, readout_dates
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.timeutil import (
    ZONES,
    local_date,
    local_midnight,
    month_start_before,
    period_of,
    quarter_floor,
    zone_of,
)
from osos.web import formatting
from osos.web.i18n import Words
from osos.web.screens.common import Page, Screen, ScreenQuery, when


def _readout_id(value: object) -> int | None:
    """A readout id the database can hold (PostgreSQL refuses a larger integer), else none."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19):
        return None
    return int(value)


class ReadoutQuery(ScreenQuery):
    id: Annotated[int | None, BeforeValidator(_readout_id)] = None


def query(q: Annotated[ReadoutQuery, Query()]) -> ReadoutQuery:
    return q


@dataclass(frozen=True)
class Glance:
    """Period totals at a glance: today and this month so far, per tariff, and last month."""

    today: Mapping[str, Decimal]
    month: Mapping[str, Decimal]
    last_month: MonthlyReport | None
    period: str
    last_period: str


@dataclass(frozen=True)
class ReadoutData:
    readout: ReadoutView | None
    dates: tuple[tuple[int, dt.datetime], ...]
    now: dt.datetime
    glance: Glance
    point_no: str


@dataclass(frozen=True)
class ReadoutContext:
    readout: ReadoutView | None
    dates: tuple[tuple[int, dt.datetime], ...]
    minutes_ago: int | None
    glance: Glance
    names: Mapping[str, str]  # OBIS code → the register's name in the viewer's language


def zone_totals(rows: Iterable[Interval]) -> dict[str, Decimal]:
    totals = dict.fromkeys((*ZONES, "1.8.0"), Decimal(0))
    for r in rows:
        if r.withdrawal_kwh is not None:
            totals[zone_of(r.start)] += r.withdrawal_kwh
            totals["1.8.0"] += r.withdrawal_kwh
    return totals


def glance(session: Session, sight: Sight, settings: Settings) -> Glance:
    now = db_now(session)
    month = month_start_before(now)
    midnight = local_midnight(local_date(now))
    rows = intervals(session, sight, month, quarter_floor(now), 15)
    last_period = period_of(month_start_before(now, 1))
    last = month_results(session, sight, [last_period], settings)
    return Glance(
        today=zone_totals(r for r in rows if r.start >= midnight),
        month=zone_totals(rows),
        last_month=last[0] if last else None,
        period=period_of(month),
        last_period=last_period,
    )


def load(session: Session, sight: Sight, q: ReadoutQuery, settings: Settings) -> ReadoutData:
    shown = readout(session, sight, q.id)
    if q.id is not None and shown is None:
        raise NotVisible("no such readout", readout=q.id)
    return ReadoutData(
        shown,
        tuple(readout_dates(session, sight)),
        db_now(session),
        glance(session, sight, settings),
        sight.point.no,
    )


def register_name(obis: str, language: str) -> str:
    info = lookup(obis)
    if info is None:
        return ""
    return info.name_tr if language == "tr" else info.name_en


def view(data: ReadoutData, language: str) -> Page:
    w = Words(language)
    shown = data.readout
    lines = shown.lines if shown else ()
    names = {ln.obis: register_name(ln.obis, language) for ln in lines}
    table = Table(
        w.t("readout_list"),
        [
            Column(w.t("obis")),
            Column(w.t("register_name")),
            Column(w.t("address")),
            Column(w.t("value")),
            Column(w.t("unit")),
            Column(w.t("value_time")),
        ],
        [
            [
                ln.obis,
                names[ln.obis],
                ln.address,
                ln.quantity if ln.quantity is not None else ln.value,
                ln.unit,
                when(w, ln.value_time),
            ]
            for ln in lines
        ],
        note=f"{data.point_no} · "
        + (formatting.local_datetime(shown.read_at, True, language) if shown else ""),
        language=language,
    )
    minutes = formatting.ago_minutes(shown.read_at if shown else None, data.now)
    return Page(ReadoutContext(shown, data.dates, minutes, data.glance, names), table)


SCREEN = Screen("readout", "readout.html", "Readout", query, load, view)
