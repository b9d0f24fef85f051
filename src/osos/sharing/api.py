"""JSON API for market participants (suppliers, OSBs, the market operator): ``/api/v1``.

Bearer tokens (``osos tokens create``) act for their organisation: a supplier sees its
portfolio only for the dates it supplies each service point, an OSB its zone's service points,
the market operator every OSOS service point. Anything else is answered 404, exactly like a
service point that does not exist. Every read is audited; each token is rate-limited (429 with
Retry-After). Data outside the free plan is asked for with ``POST /api/v1/requests`` (priced).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import IntEnum
from itertools import groupby
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.access import (
    Principal,
    ServicePointView,
    Window,
    allowed_service_point_ids,
    clip_range,
    require_service_point,
    supply_windows,
    within_supply,
)
from osos.domain import OrganisationKind
from osos.errors import InvalidInput, NotFound
from osos.scope.service import in_osos_ids
from osos.settings import SharingConfig
from osos.sharing import requests as priced
from osos.sharing.deliveries import mdm_source
from osos.sharing.payload import kwh_text
from osos.sharing.ratelimit import RateLimiter
from osos.sharing.tokens import TokenOwner, authenticate
from osos.store.db import now as db_now
from osos.store.models import Installation, Meter, Organisation, ReadoutValue, ServicePoint
from osos.timeutil import local_iso, month_bounds, parse_local
from osos.web.dbsession import DB, runtime_of

MAX_RANGE = dt.timedelta(days=93)
MAX_READOUT_ROWS = 20000

router = APIRouter(prefix="/api/v1", tags=["market participants"])
bearer = HTTPBearer(
    auto_error=False,
    description="A token from `osos tokens create --organisation NAME` (shown once).",
)


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Invalid parameters"},
    401: {"model": Problem, "description": "Missing, unknown or revoked token"},
    404: {"model": Problem, "description": "No such service point, or not visible to you"},
    429: {"model": Problem, "description": "Rate limit: retry after the Retry-After seconds"},
}


# --------------------------------------------------------------------------------------------
# Plumbing: the database, the caller, the rate limit


def _config(request: Request) -> SharingConfig:
    return runtime_of(request).settings.sharing


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "sharing_rate_limiter", None)
    if not isinstance(limiter, RateLimiter):
        config = _config(request)
        limiter = RateLimiter(config.rate_per_minute, config.rate_burst)
        request.app.state.sharing_rate_limiter = limiter
    return limiter


@dataclass(frozen=True)
class Caller:
    owner: TokenOwner
    principal: Principal
    organisation_kind: OrganisationKind
    ip: str

    @property
    def actor(self) -> str:
        return f"api:{self.owner.organisation}"


def _caller(
    request: Request,
    session: DB,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Caller:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers=challenge)
    owner = authenticate(session, credentials.credentials, at=db_now(session))
    if owner is None:
        raise HTTPException(401, "unknown or revoked token", headers=challenge)
    wait = _limiter(request).take(owner.token_id)
    if wait > 0:
        raise HTTPException(
            429, "rate limit exceeded", headers={"Retry-After": str(max(1, math.ceil(wait)))}
        )
    kind = session.scalar(select(Organisation.kind).where(Organisation.id == owner.organisation_id))
    assert kind is not None
    principal = Principal("api", None, owner.organisation_id, f"token:{owner.token_id}")
    ip = request.client.host if request.client else "unknown"
    return Caller(owner, principal, kind, ip)


CallerDep = Annotated[Caller, Depends(_caller)]


def _audit(
    session: Session,
    caller: Caller,
    action: str,
    no: str | None,
    detail: dict[str, Any],
    outcome: str = "ok",
) -> None:
    audit.record(
        session,
        actor=caller.actor,
        action=action,
        object_type="service_point" if no else None,
        object_id=no,
        detail={"token_id": caller.owner.token_id, **detail},
        ip=caller.ip,
        outcome=outcome,
    )


def _not_found(
    session: Session, caller: Caller, action: str, no: str, detail: dict[str, Any]
) -> JSONResponse:
    """Audit the refused read and answer as for a service point that does not exist."""
    _audit(session, caller, action, no, detail, outcome="denied")
    return JSONResponse({"detail": f"service point {no!r} not found"}, status_code=404)


def _windows(session: Session, caller: Caller, service_point_id: int) -> list[Window]:
    """The dates the caller may see; the market operator sees only OSOS service points."""
    if caller.organisation_kind is OrganisationKind.MARKET_OPERATOR and (
        service_point_id not in in_osos_ids(session, db_now(session))
    ):
        return []
    return supply_windows(session, caller.principal, service_point_id)


def _visible(session: Session, caller: Caller, no: str) -> tuple[ServicePointView, list[Window]]:
    view = require_service_point(session, caller.principal, no)
    windows = _windows(session, caller, view.id)
    if not windows:
        raise NotFound(f"service point {no!r} not found")
    return view, windows


def _range(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        lo, hi = parse_local(start), parse_local(end)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from exc
    if hi <= lo:
        raise HTTPException(400, "end must be after start")
    if hi - lo > MAX_RANGE:
        raise HTTPException(400, f"at most {MAX_RANGE.days} days per request")
    return lo, hi


def _align(parts: list[tuple[dt.datetime, dt.datetime]], minutes: int) -> list[tuple[Any, Any]]:
    """Shrink each part to whole intervals of ``minutes`` (on the local hour grid)."""
    step = dt.timedelta(minutes=minutes)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=3)  # local midnight
    out = []
    for lo, hi in parts:
        first = epoch + math.ceil((lo - epoch) / step) * step
        last = epoch + math.floor((hi - epoch) / step) * step
        if first < last:
            out.append((first, last))
    return out


# --------------------------------------------------------------------------------------------
# Models


class Resolution(IntEnum):
    QUARTER = 15
    HOUR = 60


class WindowOut(BaseModel):
    valid_from: str | None = Field(description="Local time; null: since the beginning")
    valid_to: str | None = Field(description="Local time; null: open-ended")


class PortfolioEntry(BaseModel):
    service_point: str
    eic: str | None
    title: str | None
    windows: list[WindowOut]


class ReadoutOut(BaseModel):
    read_at: str
    meter_serial: str
    obis: str
    value: str
    unit: str | None


class IntervalOut(BaseModel):
    start: str = Field(description="Local start of the interval")
    end: str
    withdrawal_kwh: str | None = Field(description="Çekiş after the multiplier, 3 decimals")
    supply_kwh: str | None = Field(description="Veriş after the multiplier, 3 decimals")
    source: Literal["actual", "estimated", "edited", "missing"]


class LoadProfileOut(BaseModel):
    service_point: str
    resolution_minutes: int
    intervals: list[IntervalOut]


class DataRequestIn(BaseModel):
    service_point: str = Field(min_length=1, max_length=32)
    start: str = Field(description="Local date or time, ISO 8601")
    end: str = Field(description="Local date or time, ISO 8601")
    minutes: int = Field(60, ge=15, le=1440, multiple_of=15)
    format: Literal["xlsx", "csv"] = "xlsx"


class DataRequestOut(BaseModel):
    id: int
    service_point: str
    reason: str
    fee: str
    currency: str
    status: str
    start: str | None
    end: str | None
    minutes: int
    format: str
    justification: str | None
    requester: str
    created_at: str | None
    file_name: str | None


# --------------------------------------------------------------------------------------------
# Endpoints


@router.get("/portfolio", response_model=list[PortfolioEntry], responses=ERRORS)
def portfolio(session: DB, caller: CallerDep) -> list[PortfolioEntry]:
    """The service points you may see, with the dates you may see them."""
    if caller.organisation_kind is OrganisationKind.MARKET_OPERATOR:
        ids = in_osos_ids(session, db_now(session))
    else:
        ids = allowed_service_point_ids(session, caller.principal)
    rows = session.execute(
        select(ServicePoint.id, ServicePoint.no, ServicePoint.etso_code, ServicePoint.title)
        .where(ServicePoint.id.in_(ids))
        .order_by(ServicePoint.no)
    ).all()
    out = []
    for sp_id, no, eic, title in rows:
        windows = supply_windows(session, caller.principal, sp_id)
        out.append(
            PortfolioEntry(
                service_point=no,
                eic=eic,
                title=title,
                windows=[
                    WindowOut(
                        valid_from=None if lo.year <= 1900 else local_iso(lo),
                        valid_to=local_iso(hi),
                    )
                    for lo, hi in windows
                ],
            )
        )
    _audit(session, caller, "api.portfolio", None, {"count": len(out)})
    return out


@dataclass(frozen=True)
class _Value:
    readout_id: int
    read_at: dt.datetime
    serial: str
    obis: str
    value: str
    unit: str | None
    value_time: dt.datetime | None


@router.get("/service-points/{no}/readouts", response_model=list[ReadoutOut], responses=ERRORS)
def readouts(
    session: DB,
    caller: CallerDep,
    no: Annotated[str, Path(max_length=32)],
    start: Annotated[str, Query(description="Local date or time, ISO 8601")],
    end: Annotated[str, Query(description="Local date or time, ISO 8601")],
) -> Any:
    """Register values read from the meter(s) of a service point, within your dates (frozen
    values of billing periods that ended before your supply are left out)."""
    lo, hi = _range(start, end)
    detail = {"start": local_iso(lo), "end": local_iso(hi)}
    try:
        view, windows = _visible(session, caller, no)
    except NotFound:
        return _not_found(session, caller, "api.readouts", no, detail)
    parts = clip_range(windows, lo, hi)
    if not parts:
        return _not_found(session, caller, "api.readouts", no, detail)
    out: list[ReadoutOut] = []
    for p_lo, p_hi in parts:
        rows = session.execute(
            select(
                ReadoutValue.readout_id,
                ReadoutValue.read_at,
                Meter.serial,
                ReadoutValue.obis,
                ReadoutValue.value,
                ReadoutValue.unit,
                ReadoutValue.value_time,
            )
            .join(Meter, Meter.id == ReadoutValue.meter_id)
            .join(Installation, Installation.meter_id == ReadoutValue.meter_id)
            .where(
                Installation.service_point_id == view.id,
                Installation.installed_at <= ReadoutValue.read_at,
                (Installation.removed_at.is_(None))
                | (Installation.removed_at > ReadoutValue.read_at),
                ReadoutValue.read_at >= p_lo,
                ReadoutValue.read_at < p_hi,
            )
            .order_by(ReadoutValue.read_at, ReadoutValue.readout_id, ReadoutValue.obis)
            .limit(MAX_READOUT_ROWS)
        ).all()
        values = [_Value(*r) for r in rows]
        for (_, read_at), group in groupby(values, key=lambda v: (v.readout_id, v.read_at)):
            out.extend(
                ReadoutOut(read_at=local_iso(read_at) or "", meter_serial=v.serial, obis=v.obis,
                           value=v.value, unit=v.unit)
                for v in within_supply(list(group), read_at, windows)
            )  # fmt: skip
    _audit(session, caller, "api.readouts", no, {**detail, "rows": len(out)})
    return out


@router.get("/service-points/{no}/load-profile", response_model=LoadProfileOut, responses=ERRORS)
def load_profile(
    session: DB,
    caller: CallerDep,
    no: Annotated[str, Path(max_length=32)],
    start: Annotated[str, Query(description="Local date or time, ISO 8601")],
    end: Annotated[str, Query(description="Local date or time, ISO 8601")],
    resolution: Annotated[Resolution, Query(description="Minutes: 15 or 60")] = Resolution.QUARTER,
) -> Any:
    """Consumption (withdrawal) and injection (supply) per interval, estimates flagged."""
    lo, hi = _range(start, end)
    minutes = int(resolution)
    detail = {"start": local_iso(lo), "end": local_iso(hi), "resolution": minutes}
    try:
        view, windows = _visible(session, caller, no)
    except NotFound:
        return _not_found(session, caller, "api.load_profile", no, detail)
    parts = _align(clip_range(windows, lo, hi), minutes)
    if not parts:
        return _not_found(session, caller, "api.load_profile", no, detail)
    intervals: list[IntervalOut] = []
    for p_lo, p_hi in parts:
        for i in mdm_source(session, view.id, p_lo, p_hi, minutes):
            present = i.source != "missing"
            intervals.append(
                IntervalOut(
                    start=local_iso(i.start) or "",
                    end=local_iso(i.end) or "",
                    withdrawal_kwh=kwh_text(i.withdrawal_kwh) if present else None,
                    supply_kwh=kwh_text(i.supply_kwh) if present else None,
                    source=i.source,  # type: ignore[arg-type]
                )
            )
    _audit(session, caller, "api.load_profile", no, {**detail, "intervals": len(intervals)})
    return LoadProfileOut(service_point=no, resolution_minutes=minutes, intervals=intervals)


@router.get(
    "/service-points/{no}/monthly/{period}", response_model=dict[str, Any], responses=ERRORS
)
def monthly(
    request: Request,
    session: DB,
    caller: CallerDep,
    no: Annotated[str, Path(max_length=32)],
    period: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
) -> Any:
    """Monthly determinants (month-end indexes, consumption per tariff, ratios, demand) of a
    month you supply in full."""
    from osos.mdm.service import monthly_report

    try:
        lo, hi = month_bounds(period)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from exc
    detail = {"period": period}
    try:
        _view, windows = _visible(session, caller, no)
    except NotFound:
        return _not_found(session, caller, "api.monthly", no, detail)
    covered = sum(((b - a) for a, b in clip_range(windows, lo, hi)), dt.timedelta(0))
    if covered < hi - lo:
        return _not_found(session, caller, "api.monthly", no, detail)
    report = monthly_report(session, no, period, runtime_of(request).settings).to_json()
    _audit(session, caller, "api.monthly", no, detail)
    return report


@router.post(
    "/requests",
    response_model=DataRequestOut,
    status_code=201,
    responses={**ERRORS, 409: {"model": Problem, "description": "Inside your free plan"}},
)
def create_request(request: Request, session: DB, caller: CallerDep, body: DataRequestIn) -> Any:
    """Ask for data outside the free plan (another period or resolution, a meter outside your
    portfolio, water/gas/heat meter data): recorded and priced, delivered once approved."""
    lo, hi = _range(body.start, body.end)
    sp_id = session.scalar(select(ServicePoint.id).where(ServicePoint.no == body.service_point))
    if sp_id is None:
        return _not_found(session, caller, "api.request", body.service_point, {})
    windows = _windows(session, caller, sp_id)
    reason = priced.classify(
        visible=bool(windows),
        windows=windows,
        start=lo,
        end=hi,
        minutes=body.minutes,
        meter_kind=priced.meter_kind_of(session, sp_id, hi),
    )
    if reason is None:
        return JSONResponse(
            {"detail": "inside your plan: free of charge through the GET endpoints"}, 409
        )
    view = priced.record_request(
        session,
        service_point_id=sp_id,
        reason=reason,
        requester=caller.owner.organisation,
        organisation_id=caller.owner.organisation_id,
        start=lo,
        end=hi,
        minutes=body.minutes,
        file_format=body.format,
        at=db_now(session),
        config=_config(request),
    )
    _audit(
        session,
        caller,
        "api.request",
        body.service_point,
        {"request_id": view.id, "reason": reason},
    )
    return DataRequestOut(**view.to_json())


@router.get("/requests", response_model=list[DataRequestOut], responses=ERRORS)
def my_requests(request: Request, session: DB, caller: CallerDep) -> Any:
    """Your priced requests with their fee and status."""
    views = priced.list_requests(session, _config(request), caller.owner.organisation_id)
    return [DataRequestOut(**v.to_json()) for v in views]


@router.get(
    "/requests/{request_id}/file",
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
def request_file(
    session: DB, caller: CallerDep, request_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """The file of a fulfilled request."""
    try:
        name, content = priced.request_file(session, request_id, caller.owner.organisation_id)
    except NotFound as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    _audit(session, caller, "api.request_file", None, {"request_id": request_id})
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
