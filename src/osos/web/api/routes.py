"""JSON API for market participants (suppliers, OSBs, the market operator): ``/api/v1``.

Bearer tokens (``osos tokens create``) act for their organisation: a supplier sees its
portfolio only for the dates it supplies each service point, an OSB its zone's service points,
the market operator every OSOS service point (the read model's access rules). Anything else is
answered 404, exactly like a service point that does not exist. Every read is audited; each
token is rate-limited (429 with Retry-After). Data outside the free plan is asked for with
``POST /api/v1/requests`` (priced).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from osos.domain import FeeReason
from osos.errors import InvalidInput, NotFound
from osos.readmodel.access import Sight, see
from osos.readmodel.access import portfolio as sights_of
from osos.readmodel.intervals import intervals, whole_parts
from osos.readmodel.months import month_result
from osos.readmodel.readouts import readouts as readouts_in
from osos.sharing import requests as priced
from osos.sharing.consents import ConsentMissing
from osos.sharing.payload import kwh_text
from osos.store.db import now as db_now
from osos.timeutil import local_iso, month_bounds, parse_local
from osos.web import downloads
from osos.web.api.caller import Caller, CallerDep, config_of, not_found, record
from osos.web.api.models import (
    ERRORS,
    DataRequestIn,
    DataRequestOut,
    IntervalOut,
    LoadProfileOut,
    PortfolioEntry,
    Problem,
    ReadoutOut,
    Resolution,
    WindowOut,
)
from osos.web.dbsession import DB, runtime_of

MAX_RANGE = dt.timedelta(days=93)

router = APIRouter(prefix="/api/v1", tags=["market participants"])
Local = Annotated[str, Query(description="Local date or time, ISO 8601")]
No = Annotated[str, Path(max_length=32)]


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


def _priced_only(session: DB, caller: Caller, action: str, no: str) -> JSONResponse:
    """A water, gas or heat distribution company gets its meters' data as priced requests only
    (each delivery priced from the fee table and reported)."""
    record(session, caller, action, no, {"refused": "priced_only"}, outcome="denied")
    detail = "water/gas/heat meter data is priced: ask for it with POST /api/v1/requests"
    return JSONResponse({"detail": detail}, status_code=402)


def _sight(session: DB, caller: Caller, no: str) -> Sight | None:
    try:
        return see(session, caller.principal, no)
    except NotFound:
        return None


@router.get("/portfolio", response_model=list[PortfolioEntry], responses=ERRORS)
def portfolio(session: DB, caller: CallerDep) -> list[PortfolioEntry]:
    """The service points you may see, with the dates you may see them."""
    out = [
        PortfolioEntry(
            service_point=s.point.no,
            eic=s.point.etso_code,
            title=s.point.title,
            windows=[
                WindowOut(
                    valid_from=None if lo.year <= 1900 else local_iso(lo), valid_to=local_iso(hi)
                )
                for lo, hi in s.windows
            ],
        )
        for s in sights_of(session, caller.principal)
    ]
    record(session, caller, "api.portfolio", None, {"count": len(out)})
    return out


@router.get(
    "/service-points/{no}/readouts",
    response_model=list[ReadoutOut],
    responses={**ERRORS, 402: {"model": Problem, "description": "Priced: a utility meter"}},
)
def readouts(session: DB, caller: CallerDep, no: No, start: Local, end: Local) -> Any:
    """Register values read from the meter(s) of a service point while installed there, within
    your dates (frozen values of billing periods that ended before your supply are left out)."""
    lo, hi = _range(start, end)
    detail = {"start": local_iso(lo), "end": local_iso(hi)}
    sight = _sight(session, caller, no)
    if sight is None or not sight.parts(lo, hi):
        return not_found(session, caller, "api.readouts", no, detail)
    if priced.priced_only(session, caller.owner.organisation_id, sight.point.id, hi):
        return _priced_only(session, caller, "api.readouts", no)
    out = [
        ReadoutOut(
            read_at=local_iso(r.read_at) or "",
            meter_serial=r.meter_serial,
            obis=line.obis,
            value=line.value,
            unit=line.unit,
        )
        for r in readouts_in(session, sight, lo, hi)
        for line in sorted(r.lines, key=lambda line: line.obis)
    ]
    record(session, caller, "api.readouts", no, {**detail, "rows": len(out)})
    return out


@router.get("/service-points/{no}/load-profile", response_model=LoadProfileOut, responses=ERRORS)
def load_profile(
    session: DB,
    caller: CallerDep,
    no: No,
    start: Local,
    end: Local,
    resolution: Annotated[Resolution, Query(description="Minutes: 15 or 60")] = Resolution.QUARTER,
) -> Any:
    """Consumption (withdrawal) and injection (supply) per interval, estimates flagged."""
    lo, hi = _range(start, end)
    minutes = int(resolution)
    detail = {"start": local_iso(lo), "end": local_iso(hi), "resolution": minutes}
    sight = _sight(session, caller, no)
    if sight is None or not whole_parts(sight, lo, hi, minutes):
        return not_found(session, caller, "api.load_profile", no, detail)
    rows = [
        IntervalOut(
            start=local_iso(i.start) or "",
            end=local_iso(i.end) or "",
            withdrawal_kwh=kwh_text(i.withdrawal_kwh) if i.source != "missing" else None,
            supply_kwh=kwh_text(i.supply_kwh) if i.source != "missing" else None,
            source=i.source,
        )
        for i in intervals(session, sight, lo, hi, minutes, edges="drop")
    ]
    record(session, caller, "api.load_profile", no, {**detail, "intervals": len(rows)})
    return LoadProfileOut(service_point=no, resolution_minutes=minutes, intervals=rows)


@router.get(
    "/service-points/{no}/monthly/{period}", response_model=dict[str, Any], responses=ERRORS
)
def monthly(
    request: Request,
    session: DB,
    caller: CallerDep,
    no: No,
    period: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
) -> Any:
    """Monthly determinants (month-end indexes, consumption per tariff, ratios, demand) of a
    month you supply in full."""
    try:
        month_bounds(period)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from exc
    sight = _sight(session, caller, no)
    try:
        if sight is None:
            raise NotFound(no)
        report = month_result(session, sight, period, runtime_of(request).settings)
    except NotFound:
        return not_found(session, caller, "api.monthly", no, {"period": period})
    record(session, caller, "api.monthly", no, {"period": period})
    return report.to_json()


@router.post(
    "/requests",
    response_model=DataRequestOut,
    status_code=201,
    responses={
        **ERRORS,
        202: {"description": "A point outside your portfolio (or none): received for review"},
        409: {"model": Problem, "description": "Inside your free plan"},
    },
)
def create_request(request: Request, session: DB, caller: CallerDep, body: DataRequestIn) -> Any:
    """Ask for data outside the free plan (another period or resolution, a meter outside your
    portfolio, water/gas/heat meter data): recorded and priced, delivered once approved.

    For a service point you cannot see the answer is 202 whether it exists or not (no
    existence oracle): an existing one's request is taken up only with its customer's recorded
    consent (KVKK), reviewed, and listed once decided."""
    lo, hi = _range(body.start, body.end)
    try:
        view = priced.ask(
            session,
            caller.principal,
            body.service_point,
            start=lo,
            end=hi,
            minutes=body.minutes,
            file_format=body.format,
            requester=caller.owner.organisation,
            at=db_now(session),
            config=config_of(request),
        )
    except NotFound:
        record(session, caller, "api.request", body.service_point, {}, outcome="denied")
        return _received(body.service_point)
    except ConsentMissing:
        refused = {"refused": "no_consent"}
        record(session, caller, "api.request", body.service_point, refused, outcome="denied")
        return _received(body.service_point)
    if view is not None and view.reason == FeeReason.OUTSIDE_PORTFOLIO.value:
        record(session, caller, "api.request", body.service_point, {"request_id": view.id})
        return _received(body.service_point)
    if view is None:
        return JSONResponse(
            {"detail": "inside your plan: free of charge through the GET endpoints"}, 409
        )
    detail = {"request_id": view.id, "reason": view.reason}
    record(session, caller, "api.request", body.service_point, detail)
    return DataRequestOut(**view.to_json())


def _received(no: str) -> JSONResponse:
    """The one answer for a point outside your sight, existing or not."""
    return JSONResponse(
        {
            "service_point": no,
            "detail": "received: a request for a service point outside your portfolio is "
            "taken up only with its customer's recorded consent (KVKK), reviewed by the "
            "distribution company and listed under GET /api/v1/requests, with its fee, once "
            "decided",
        },
        status_code=202,
    )


@router.get("/requests", response_model=list[DataRequestOut], responses=ERRORS)
def my_requests(request: Request, session: DB, caller: CallerDep) -> Any:
    """Your priced requests with their fee and status (one for a point outside your portfolio
    once it is decided)."""
    views = priced.list_requests(session, config_of(request), caller.owner.organisation_id)
    undecided_outside = ("recorded", FeeReason.OUTSIDE_PORTFOLIO.value)
    views = [v for v in views if (v.status, v.reason) != undecided_outside]
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
    record(session, caller, "api.request_file", None, {"request_id": request_id})
    return downloads.send_stored(content, name, "application/octet-stream")
