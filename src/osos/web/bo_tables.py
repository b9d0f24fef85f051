"""The back office's lists as export tables (pure: the views the pages show → ``Table``), so
every list downloads as Excel or CSV with the headers and local times of its page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from osos.exports import Cell, Table, When
from osos.headend.commlog import MeterCommStatusView
from osos.identity.accounts import UserView
from osos.identity.applications import ApplicationView
from osos.mdm.vee import FindingView
from osos.readmodel.points import ServicePointView
from osos.sharing.board import BoardRow

Say = Callable[[str], str]


def _when(at: dt.datetime | None) -> Cell:
    return None if at is None else When(at)


def _table(t: Say, title: str, keys: Sequence[str], rows: list[list[Cell]], lang: str) -> Table:
    return Table(t(title), [t(k) for k in keys], rows, language=lang)


def comm_status(rows: Sequence[MeterCommStatusView], t: Say, lang: str) -> Table:
    keys = ("meter_serial", "last_attempt", "last_success", "failures", "last_error")
    body: list[list[Cell]] = [
        [
            r.serial,
            _when(r.last_attempt_at),
            _when(r.last_success_at),
            r.consecutive_failures,
            r.last_error,
        ]
        for r in rows
    ]
    return _table(t, "bo_home", keys, body, lang)


def findings(rows: Sequence[FindingView], t: Say, lang: str) -> Table:
    keys = ("code", "meter_serial", "register", "from_day", "to_day", "detail", "state",
            "resolution")  # fmt: skip
    body: list[list[Cell]] = [
        [
            f.code,
            f.meter_serial,
            f.register,
            When(f.start),
            When(f.end),
            f.detail,
            f.state,
            f.resolution,
        ]
        for f in rows
    ]
    return _table(t, "bo_findings", keys, body, lang)


def deliveries(rows: Sequence[BoardRow], t: Say, lang: str) -> Table:
    keys = ("state", "rule", "hn_no", "period", "due_at", "countdown_s", "sent", "estimated",
            "alerts", "corrections", "last_error")  # fmt: skip
    body: list[list[Cell]] = [
        [
            t("delivery_" + r.state),
            r.rule,
            r.service_point,
            When(r.period_start),
            When(r.due_at),
            r.seconds_left,
            _when(r.sent_at),
            t("yes") if r.estimated else t("no"),
            ", ".join(r.alerts),
            ", ".join(r.corrections),
            r.last_error,
        ]
        for r in rows
    ]
    return _table(t, "bo_deliveries", keys, body, lang)


def points(rows: Sequence[ServicePointView], t: Say, lang: str) -> Table:
    keys = ("hn_no", "title", "ETSO", "region", "center", "district", "meter_serial",
            "contract_power", "tariff_group")  # fmt: skip
    body: list[list[Cell]] = [
        [
            p.no,
            p.title,
            p.etso_code,
            p.region,
            p.center,
            p.district,
            p.meter_serial,
            p.contract_power_kw,
            p.tariff_group,
        ]
        for p in rows
    ]
    return _table(t, "bo_points", keys, body, lang)


def applications(rows: Sequence[ApplicationView], t: Say, lang: str) -> Table:
    keys = ("reference", "login_type", "login_name", "hn_no", "company", "contact", "email",
            "status", "created")  # fmt: skip
    body: list[list[Cell]] = [
        [
            a.reference,
            a.kind,
            a.login,
            " ".join(a.service_point_nos),
            a.company_name,
            a.contact_name,
            a.email,
            a.status,
            When(a.created_at),
        ]
        for a in rows
    ]
    return _table(t, "bo_applications", keys, body, lang)


def users(rows: Sequence[UserView], t: Say, lang: str) -> Table:
    keys = ("login_name", "login_type", "company", "hn_no", "last_login", "status")
    body: list[list[Cell]] = [
        [
            u.login,
            t("type_" + u.kind.value),
            u.organisation_name,
            " ".join(u.service_point_nos),
            _when(u.last_login_at),
            t("active") if u.active else t("disabled"),
        ]
        for u in rows
    ]
    return _table(t, "bo_users", keys, body, lang)
