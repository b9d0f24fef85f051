"""The meters of the configured database that the simulator should stand in for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.store.models.core import Installation, Meter, ServicePoint
from osos.store.secrets import secrets_of


def meter_rows(session: Session) -> list[dict[str, Any]]:
    """One row per remotely read meter (dial-out or dial-in) that is installed now (a removed
    meter has no modem any more), with its service point: the fields
    :func:`~.spec.specs_from_meters` reads, plus ``comm_mode``. The simulator stands in for
    the meters, so it knows their secrets: they are opened here (never printed)."""
    secrets = secrets_of(session)
    query = (
        select(Meter, Installation, ServicePoint)
        .join(
            Installation,
            (Installation.meter_id == Meter.id) & Installation.removed_at.is_(None),
        )
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .where(Meter.comm_mode.in_([CommMode.DIAL_OUT, CommMode.DIAL_IN]))
        .order_by(Meter.serial)
    )
    rows: dict[str, dict[str, Any]] = {}
    for meter, installation, point in session.execute(query):
        rows[meter.serial] = {
            "serial": meter.serial,
            "flag": meter.flag,
            "model": meter.model,
            "kind": meter.kind,
            "port": meter.port if meter.comm_mode is CommMode.DIAL_OUT else None,
            "password": secrets.open(meter.password, meter.serial),
            "protocol": meter.protocol.value,
            "dlms_encryption_key": secrets.open(meter.dlms_encryption_key, meter.serial),
            "dlms_authentication_key": secrets.open(meter.dlms_authentication_key, meter.serial),
            "device_address": meter.device_address,
            "comm_mode": meter.comm_mode,
            "install_date": installation.installed_at,
            "tariff_group": point.tariff_group,
            "generation": point.generation,
            "balancing_unit": point.balancing_unit,
            "peak_w": meter_side_peak_w(point.contract_power_kw, installation.multiplier),
        }
    return list(rows.values())


def meter_side_peak_w(contract_power_kw: Decimal | None, multiplier: Decimal) -> int | None:
    """The peak power the meter itself sees: 80 % of the contract power on the primary side,
    divided by the transformer multiplier (the meter measures the secondary). None when the
    contract power is unknown: the family's typical size is used then."""
    if contract_power_kw is None or contract_power_kw <= 0 or multiplier <= 0:
        return None
    return max(50, int(contract_power_kw * 800 / multiplier))
