"""A meter that moved: read at service point A1 until MOVED, then installed at B1.

B1's title and the unit of the meter's later reading are formula-like text, so the same world
also shows that every file neutralises them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.domain import MeterKind, OrganisationKind, ReadSource, UserKind
from osos.identity.accounts import create_user
from osos.readings import ReadValue
from osos.runtime import Runtime
from osos.sharing.tokens import create_token
from osos.store.db import transaction
from osos.store.ingest import store_readout
from osos.store.models import Installation, Readout
from osos.timeutil import parse_local
from tests import factories as f

MOVED = parse_local("2026-10-15T00:00")
BEFORE = parse_local("2026-10-10T09:00")  # read at A1
AFTER = parse_local("2026-10-20T09:00")  # read at B1
TITLE = '=HYPERLINK("http://example.invalid/x","tıkla")'
UNIT = "+cmd|'/Ccalc'!A0"  # "+cmd|' /C calc'!A0" within the 16 characters of a unit
PASSWORD = "Tasinan-Sayac-2026"
OPERATOR = "operator@osos.test"


@dataclass(frozen=True)
class Moved:
    runtime: Runtime
    token: str  # the water utility's API token
    supplier_token: str  # the supplier of B1 (since before the move)
    before_id: int  # the readout taken at A1
    after_id: int


def build(runtime: Runtime) -> Moved:
    with transaction(runtime.sessions) as s:
        water = f.organisation(s, "Tekirdağ Su (TESKİ)", OrganisationKind.CORPORATE)
        supplier = f.organisation(s, "Tedarikçi B", OrganisationKind.SUPPLIER)
        a1 = f.service_point(s, "A1", meter_kind=MeterKind.WATER, customer_organisation_id=water.id)
        b1 = f.service_point(
            s, "B1", comm_mode=None, title=TITLE, customer_organisation_id=water.id
        )
        f.supply(s, b1, supplier, parse_local("2026-09-01"), None)
        meter = f.meter_id(s, a1)
        installation = s.scalars(select(Installation).where(Installation.meter_id == meter)).one()
        installation.removed_at = MOVED
        s.add(
            Installation(
                meter_id=meter,
                service_point_id=b1.id,
                installed_at=MOVED,
                ct_ratio=Decimal(1),
                vt_ratio=Decimal(1),
            )
        )
        for at, text, unit in ((BEFORE, "00100.5", "m3"), (AFTER, "00200.5", UNIT)):
            store_readout(
                s,
                meter_id=meter,
                read_at=at,
                raw=f"{at.isoformat()} {text}".encode(),
                values=[ReadValue("8.0", value=text, number=Decimal(text), unit=unit)],
                source=ReadSource.HEADEND,
            )
        create_user(s, kind=UserKind.ABONE, login="B1", password=PASSWORD)
        create_user(s, kind=UserKind.OPERATOR, login=OPERATOR, password=PASSWORD)
        token = create_token(s, water.name, at=MOVED, created_by="test").token
        supplier_token = create_token(s, supplier.name, at=MOVED, created_by="test").token
        ids = {at: rid for at, rid in s.execute(select(Readout.read_at, Readout.id))}
    return Moved(runtime, token, supplier_token, ids[BEFORE], ids[AFTER])


def log_in(client: TestClient, login: str, tip: str = "abone", password: str = PASSWORD) -> int:
    page = client.get("/personel/giris" if tip == "personel" else "/giris")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    response = client.post(
        "/giris",
        data={"tip": tip, "login": login, "password": password, "csrf_token": csrf[1]},
        follow_redirects=False,
    )
    return response.status_code
