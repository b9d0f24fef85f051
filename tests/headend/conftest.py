"""Head-end fixtures: meters, service points and installations created with the ORM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from osos.domain import CommMode, Generation
from osos.runtime import Runtime
from osos.store.models import Installation, Meter, ServicePoint

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
