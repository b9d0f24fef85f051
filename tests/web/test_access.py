"""Who sees which service point: the rules of osos.access, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from osos.domain import UserKind
from osos.errors import NotFound
from osos.readmodel.access import (
    UNBOUNDED_START,
    Principal,
    allowed_service_point_ids,
    clip_range,
    require_service_point,
    supply_windows,
)
from osos.store.db import transaction
from osos.timeutil import UTC
from tests.web.conftest import ABONE_SP, KURUMSAL_SP, LATE_SP, OTHER_SP, World, organisation_id

T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)


def _principal(world: World, kind: str) -> Principal:
    from osos.identity.accounts import find_user

    with transaction(world.runtime.sessions) as session:
        user = find_user(session, world.logins[kind].login)
    assert user is not None
    return user.principal


def _nos(world: World, principal: Principal, at: dt.datetime | None = None) -> set[str]:
    from osos.readmodel.points import service_point_nos

    with transaction(world.runtime.sessions) as session:
        return set(service_point_nos(session, allowed_service_point_ids(session, principal, at)))


def test_each_kind_sees_its_own_points(shared_world: World) -> None:
    world = shared_world
    assert _nos(world, _principal(world, "abone")) == {ABONE_SP}
    kurumsal = _nos(world, _principal(world, "kurumsal"))
    assert KURUMSAL_SP in kurumsal and ABONE_SP not in kurumsal and len(kurumsal) == 4
    supplier = _nos(world, _principal(world, "tedarikci"))
    assert {ABONE_SP, LATE_SP} <= supplier
    assert OTHER_SP not in supplier and KURUMSAL_SP not in supplier
    assert len(_nos(world, _principal(world, "operator"))) > 50


def test_supplier_sees_a_point_only_while_it_supplies_it(shared_world: World) -> None:
    world = shared_world
    supplier = _principal(world, "tedarikci")
    before = world.late_from - dt.timedelta(hours=1)
    assert LATE_SP not in _nos(world, supplier, before)
    assert LATE_SP in _nos(world, supplier, world.late_from)
    with transaction(world.runtime.sessions) as session:
        sp = require_service_point(session, supplier, LATE_SP)
        windows = supply_windows(session, supplier, sp.id)
    assert windows == [(world.late_from, None)]
    assert clip_range(windows, before - dt.timedelta(days=1), before) == []


def test_unknown_and_foreign_points_are_the_same_not_found(shared_world: World) -> None:
    world = shared_world
    abone = _principal(world, "abone")
    with transaction(world.runtime.sessions) as session:
        with pytest.raises(NotFound) as foreign:
            require_service_point(session, abone, OTHER_SP)
        with pytest.raises(NotFound) as unknown:
            require_service_point(session, abone, "9999999999")
        assert require_service_point(session, abone, ABONE_SP).no == ABONE_SP
        assert supply_windows(session, abone, 10**9) == []
    assert type(foreign.value) is type(unknown.value)


def test_api_principal_acts_as_its_organisation(shared_world: World) -> None:
    world = shared_world
    supplier_org = organisation_id(world, "Boğaziçi Enerji Tedarik A.Ş.")
    api = Principal("api", None, supplier_org, "token:test")
    assert _nos(world, api) == _nos(world, _principal(world, "tedarikci"))
    corporate = Principal("api", None, organisation_id(world, "Trakya Gıda A.Ş."), "token:x")
    assert KURUMSAL_SP in _nos(world, corporate)
    nobody = Principal("api", None, None, "token:none")
    assert _nos(world, nobody) == set()


def test_clip_range_keeps_only_the_overlaps() -> None:
    day = dt.timedelta(days=1)
    windows = [(T0, T0 + 2 * day), (T0 + 5 * day, None)]
    assert clip_range(windows, T0 - day, T0 + day) == [(T0, T0 + day)]
    assert clip_range(windows, T0 + day, T0 + 6 * day) == [
        (T0 + day, T0 + 2 * day),
        (T0 + 5 * day, T0 + 6 * day),
    ]
    assert clip_range(windows, T0 + 3 * day, T0 + 4 * day) == []
    assert clip_range([(UNBOUNDED_START, None)], T0, T0 + day) == [(T0, T0 + day)]
    assert Principal(UserKind.OPERATOR, 1, None, "op").is_staff
