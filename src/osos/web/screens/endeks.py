"""Endeks Bilgileri: the last three month-end indexes (shown at the last day 23:59:59) and the
latest read, per register, with the consumption between them and their estimates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from osos.exports import Cell, Column, Table
from osos.mdm.service import MonthEndIndex
from osos.readmodel.access import Sight
from osos.readmodel.months import MonthEnd, month_ends
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.web import formatting
from osos.web.i18n import Words
from osos.web.screens.common import NoQuery, Page, Screen, no_query

REGISTERS = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0")
SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class EndeksData:
    point_no: str
    ends: tuple[MonthEnd, ...]


@dataclass(frozen=True)
class EndeksContext:
    points: tuple[MonthEndIndex, ...]
    shown: tuple[bool, ...]  # whether the consumption up to each point lies in the windows too
    registers: tuple[str, ...]


def load(session: Session, sight: Sight, q: NoQuery, settings: Settings) -> EndeksData:
    return EndeksData(sight.point.no, tuple(month_ends(session, sight, 3, db_now(session))))


def _label(p: MonthEndIndex, language: str) -> str:
    at = p.at - SECOND if p.kind == "month_end" else p.at
    return formatting.local_datetime(at, True, language)


def view(data: EndeksData, language: str) -> Page:
    w = Words(language)
    points = tuple(e.index for e in data.ends)
    shown = tuple(e.consumption_shown for e in data.ends)
    headers = [Column(w.t("register"))]
    for p in points:
        label = _label(p, language)
        headers += [
            Column(f"{w.t('index')} {label}", 3),
            Column(f"{w.t('consumption')} {label}", 3),
            Column(w.t("estimated")),
        ]
    body: list[list[Cell]] = []
    for obis in REGISTERS:
        line: list[Cell] = [obis]
        for p, show in zip(points, shown, strict=True):
            line.append(p.indexes.get(obis))
            line.append(p.consumption.get(obis) if show else None)
            line.append(w.t("yes") if obis in p.estimated else "")
        body.append(line)
    table = Table(w.t("index_info"), headers, body, note=data.point_no, language=language)
    return Page(EndeksContext(points, shown, REGISTERS), table)


SCREEN = Screen("endeks", "endeks.html", "Endeks", no_query, load, view)
