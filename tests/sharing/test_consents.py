"""Consents (KVKK), the fee table's dates, invoices and "read now" as service functions, on
both databases: what the back office, the panel and the API call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from osos.domain import CommMode, OrganisationKind
from osos.errors import Conflict, InvalidInput, NotFound
from osos.headend.read_now import queue_read, read_status
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.consents import (
    ConsentMissing,
    has_consent,
    list_consents,
    record_consent,
    require_consent,
    revoke_consent,
)
from osos.sharing.fees import change_fee, fee_report, invoice_request, list_fees
from osos.sharing.requests import decide_request, fulfil_request, record_request
from osos.store import db
from osos.store.models import Meter
from osos.timeutil import period_of
from tests import factories as f

DAY = dt.timedelta(days=1)


def test_consent_counts_from_its_grant_until_its_revocation(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with db.transaction(runtime.sessions) as s:
        a = f.organisation(s, "Tedarikçi A", OrganisationKind.SUPPLIER)
        b = f.organisation(s, "Tedarikçi B", OrganisationKind.SUPPLIER)
        sp = f.service_point(s, "SP1")
        with pytest.raises(ConsentMissing, match="SP1"):
            require_consent(s, sp.id, a.id, now)
        consent_id = record_consent(
            s, "SP1", "Tedarikçi A", granted_by="müşteri", via="panel", recorded_by="abone",
            at=now - DAY,
        )  # fmt: skip
        assert has_consent(s, sp.id, a.id, now) and not has_consent(s, sp.id, b.id, now)
        assert not has_consent(s, sp.id, a.id, now - 2 * DAY)  # not before it was given
        require_consent(s, sp.id, a.id, now)
        with pytest.raises(ConsentMissing):
            require_consent(s, sp.id, None, now)  # an anonymous requester never has one
        with pytest.raises(NotFound):
            revoke_consent(s, consent_id, at=now, service_point_ids={sp.id + 1})
        revoke_consent(s, consent_id, at=now)
        assert has_consent(s, sp.id, a.id, now - DAY / 2)  # it counted until revoked
        assert not has_consent(s, sp.id, a.id, now)
        [view] = list_consents(s, {sp.id})
        assert view.organisation == "Tedarikçi A" and not view.active
        assert list_consents(s, {sp.id + 1}) == []
        with pytest.raises(InvalidInput):
            record_consent(s, "SP1", "Tedarikçi A", granted_by="x", via="fax",
                           recorded_by="op", at=now)  # fmt: skip
        with pytest.raises(NotFound):
            record_consent(s, "SP1", "Nobody", granted_by="x", via="panel",
                           recorded_by="op", at=now)  # fmt: skip


def test_fees_are_never_back_dated_and_requests_are_invoiced_once(runtime: Runtime) -> None:
    now = runtime.clock.now()
    config = SharingConfig()
    with db.transaction(runtime.sessions) as s:
        sp = f.service_point(s, "SP1")
        with pytest.raises(InvalidInput, match="never in the past"):
            change_fee(s, "other_period", Decimal("200"), valid_from=now - DAY,
                       justification="maliyet")  # fmt: skip
        with pytest.raises(InvalidInput):
            change_fee(s, "nonsense", Decimal("200"), valid_from=now, justification="x")
        change_fee(s, "other_period", Decimal("200.50"), valid_from=now + DAY,
                   justification="arşiv")  # fmt: skip
        assert [(e.reason, e.amount) for e in list_fees(s)] == [("other_period", Decimal("200.50"))]
        view = record_request(
            s, service_point_id=sp.id, reason="other_period", requester="A",
            organisation_id=None, start=now - DAY, end=now, minutes=60, file_format="csv",
            at=now, config=config,
        )  # fmt: skip
        assert view.fee == config.fee("other_period")  # the new fee starts tomorrow
        with pytest.raises(Conflict):
            invoice_request(s, view.id, invoice_no="F1", at=now)  # not fulfilled yet
        decide_request(s, view.id, approve=True, by="op", at=now)
        fulfil_request(s, view.id, at=now)
        with pytest.raises(InvalidInput):
            invoice_request(s, view.id, invoice_no=" ", at=now)
        invoice_request(s, view.id, invoice_no="F1", at=now)
        with pytest.raises(Conflict):
            invoice_request(s, view.id, invoice_no="F2", at=now)
        [line] = fee_report(s, period_of(now))
        assert line.status == "invoiced" and line.request_id == view.id


def test_read_now_queues_one_job_and_refuses_a_meter_without_modem(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with db.transaction(runtime.sessions) as s:
        f.service_point(s, "SP1", host="127.0.0.1", port=41001)
        f.service_point(s, "SP2", comm_mode=CommMode.NONE)
        serials = {m.comm_mode: m.serial for m in s.scalars(select(Meter))}
        job = queue_read(s, serials[CommMode.DIAL_OUT], now)
        assert queue_read(s, serials[CommMode.DIAL_OUT], now) == job  # not queued twice
        status = read_status(s, job, serials[CommMode.DIAL_OUT])
        assert status.state == "pending" and status.max_attempts == 2 and not status.finished
        with pytest.raises(InvalidInput, match="no modem"):
            queue_read(s, serials[CommMode.NONE], now)
        with pytest.raises(NotFound):
            queue_read(s, "nope", now)
        with pytest.raises(NotFound):
            read_status(s, job, serials[CommMode.NONE])  # another meter's job
