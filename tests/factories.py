"""The one place tests build their worlds: organisations, service points, meters and their
installations, supply periods, profile rows and readouts, written with the ORM and the store's
own ingest (so what a test builds is what the head-end would have stored)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from osos.channels import to_milli
from osos.domain import CommMode, DataSource, Generation, MeterKind, OrganisationKind, ReadSource
from osos.protocol.iec62056_21.adapter import read_values
from osos.protocol.iec62056_21.datasets import parse_data_sets
from osos.readings import IntervalRecord, ReadValue
from osos.runtime import Runtime
from osos.store.ingest import store_readout
from osos.store.intervals import store_profile
from osos.store.models import (
    Installation,
    Meter,
    Organisation,
    ServicePoint,
    SupplyPeriod,
    profile_intervals,
)
from osos.timeutil import LOCAL_TZ, UTC

# -- registry rows: organisations, points, meters, installations, supply ------------------

SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    org = Organisation(name=name, kind=kind)
    session.add(org)
    session.flush()
    return org


def service_point(
    session: Session,
    no: str,
    *,
    comm_mode: CommMode | None = CommMode.DIAL_OUT,
    host: str | None = None,
    port: int | None = None,
    ct: Decimal = Decimal(1),
    meter_kind: MeterKind = MeterKind.ELECTRICITY,
    **fields: Any,
) -> ServicePoint:
    """A service point; with ``comm_mode`` also a meter installed there since 2025."""
    sp = ServicePoint(no=no, **fields)
    session.add(sp)
    session.flush()
    if comm_mode is not None:
        meter = Meter(
            serial=f"M{no}", flag="MSY", comm_mode=comm_mode, host=host, port=port, kind=meter_kind
        )
        session.add(meter)
        session.flush()
        session.add(
            Installation(
                meter_id=meter.id,
                service_point_id=sp.id,
                installed_at=SINCE,
                ct_ratio=ct,
                vt_ratio=Decimal(1),
            )
        )
        session.flush()
    return sp


def meter_id(session: Session, sp: ServicePoint) -> int:
    session.refresh(sp)
    return sp.installations[0].meter_id


def index_rows(session: Session, meter: int, points: list[tuple[dt.datetime, Decimal]]) -> None:
    """1.8.0 indexes at the given interval ends."""
    session.execute(
        insert(profile_intervals),
        [{"meter_id": meter, "end_at": at, "r1_8_0": to_milli(v)} for at, v in points],
    )


def supply(
    session: Session,
    sp: ServicePoint,
    supplier: Organisation,
    start: dt.datetime,
    end: dt.datetime | None,
) -> None:
    session.add(
        SupplyPeriod(
            service_point_id=sp.id, supplier_id=supplier.id, valid_from=start, valid_to=end
        )
    )
    session.flush()


# -- MDM worlds: hand-computed profiles and readouts --------------------------------------

Q = dt.timedelta(minutes=15)
# The hand-computed pattern's registers at the start of its first interval.
START_INDEXES = {"1.8.0": Decimal("1000.000"), "2.8.0": Decimal(0), "5.8.0": Decimal("100.000"),
                 "8.8.0": Decimal("50.000")}  # fmt: skip
ZONE_STEP = {"T1": Decimal("0.250"), "T2": Decimal("0.500"), "T3": Decimal("0.100")}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)  # type: ignore[misc]


def zone(start: dt.datetime) -> str:
    hour = start.astimezone(LOCAL_TZ).hour
    return "T1" if 6 <= hour < 17 else "T2" if 17 <= hour < 22 else "T3"


def add_service_point(
    session: Session, no: str, *, kva: str | None = "100", contract_kw: str | None = "60"
) -> ServicePoint:
    sp = ServicePoint(
        no=no,
        installed_power_kva=None if kva is None else Decimal(kva),
        contract_power_kw=None if contract_kw is None else Decimal(contract_kw),
    )
    session.add(sp)
    session.flush()
    return sp


def add_meter(session: Session, serial: str) -> Meter:
    meter = Meter(serial=serial, flag="MSY")
    session.add(meter)
    session.flush()
    return meter


def install(
    session: Session,
    sp: ServicePoint,
    meter: Meter,
    at: dt.datetime,
    removed: dt.datetime | None = None,
    *,
    ct: str = "30",
    vt: str = "1",
    install_index: Mapping[str, str] | None = None,
    removal_index: Mapping[str, str] | None = None,
) -> Installation:
    inst = Installation(
        meter_id=meter.id,
        service_point_id=sp.id,
        installed_at=at,
        removed_at=removed,
        ct_ratio=Decimal(ct),
        vt_ratio=Decimal(vt),
        install_index=None if install_index is None else json.dumps(install_index),
        removal_index=None if removal_index is None else json.dumps(removal_index),
    )
    session.add(inst)
    session.flush()
    return inst


Step = Callable[[dt.datetime], Mapping[str, Decimal]]


def standard_step(start: dt.datetime) -> dict[str, Decimal]:
    """The hand-computed pattern: 1.8.0 by tariff zone, flat reactive, no export."""
    z = zone(start)
    return {
        "1.8.0": ZONE_STEP[z],
        "1.8.1": ZONE_STEP[z] if z == "T1" else Decimal(0),
        "1.8.2": ZONE_STEP[z] if z == "T2" else Decimal(0),
        "1.8.3": ZONE_STEP[z] if z == "T3" else Decimal(0),
        "2.8.0": Decimal(0),
        "5.8.0": Decimal("0.030"),
        "8.8.0": Decimal("0.008"),
    }


def profile_records(
    start: dt.datetime,
    end: dt.datetime,
    initial: Mapping[str, Decimal],
    step: Step = standard_step,
    *,
    registers: tuple[str, ...] = ("1.8.0", "2.8.0", "5.8.0", "8.8.0"),
    skip: Callable[[dt.datetime], bool] = lambda _e: False,
) -> tuple[list[IntervalRecord], dict[str, Decimal]]:
    """Records with end in [start, end] (the row at ``start`` holds ``initial``)."""
    values = dict(initial)
    records = [IntervalRecord(start, {o: values[o] for o in registers})]
    t = start
    while t < end:
        for obis, delta in step(t).items():
            values[obis] = values.get(obis, Decimal(0)) + delta
        t += Q
        if not skip(t):
            records.append(IntervalRecord(t, {o: values[o] for o in registers}))
    return records, values


def store_intervals(
    session: Session,
    meter: Meter,
    records: list[IntervalRecord],
    source: DataSource = DataSource.ACTUAL,
) -> None:
    store_profile(session, meter_id=meter.id, records=records, readout_id=None, source=source)


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def add_readout(
    session: Session,
    meter: Meter,
    read_at: dt.datetime,
    values: Mapping[str, str],
    times: Mapping[str, dt.datetime] | None = None,
) -> int:
    """A readout of ``values`` (OBIS → text as the meter writes it), read by the IEC adapter
    (which stamps reset times written as values); ``times`` are second-group stamps."""
    times = times or {}
    text = "\r\n".join(f"{o}({v})" for o, v in values.items())
    raw = (text + read_at.isoformat()).encode()
    read = {v.obis: v for v in read_values(parse_data_sets(text + "\r\n!\r\n"))}
    return store_readout(
        session,
        meter_id=meter.id,
        read_at=read_at,
        raw=raw,
        values=[
            ReadValue(
                address=o,
                value=v,
                number=_number(v),
                value_time=times.get(o) or read[ReadValue(address=o).obis].value_time,
            )
            for o, v in values.items()
        ],
        source=ReadSource.IMPORT,
    ).readout_id


# -- head-end worlds: meters behind (simulated) modems -------------------------------------

INSTALLED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class MeterRow:
    serial: str
    flag: str = "XYZ"
    port: int | None = None
    password: str | None = "12345678"
    balancing_unit: bool = False
    generation: Generation = Generation.NONE
    comm_mode: CommMode = CommMode.DIAL_OUT
    host: str = "127.0.0.1"
    meter: dict[str, Any] = field(default_factory=dict)  # more Meter columns (protocol, dlms_…)


def add_meters(runtime: Runtime, rows: Sequence[MeterRow]) -> dict[str, int]:
    """Service point + meter + installation per row; returns serial → meter id."""
    ids: dict[str, int] = {}
    with runtime.sessions.begin() as session:
        for row in rows:
            point = ServicePoint(
                no=f"SP{row.serial}",
                balancing_unit=row.balancing_unit,
                generation=row.generation,
            )
            meter = Meter(
                serial=row.serial,
                flag=row.flag,
                comm_mode=row.comm_mode,
                host=row.host,
                port=row.port,
                password=row.password,
                **row.meter,
            )
            session.add_all([point, meter])
            session.flush()
            session.add(
                Installation(
                    meter_id=meter.id,
                    service_point_id=point.id,
                    installed_at=INSTALLED,
                    ct_ratio=Decimal(1),
                    vt_ratio=Decimal(1),
                )
            )
            ids[row.serial] = meter.id
    return ids
