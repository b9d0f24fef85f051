"""Upsert the registry into the database: service points, meters, installations, supplies.

A file may carry a service point's history (several rows with different ``installed_at``);
rows are applied in time order per service point. A changed meter or transformer ratio closes
the open installation at the new row's ``installed_at`` and opens a new one: that is how the
data management knows where to split consumption. Re-importing a file changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import MeterKind, OrganisationKind
from osos.errors import ImportFailed
from osos.registry.reader import read_table
from osos.registry.rows import RegistryRow, check_columns, parse_row
from osos.store.models import Installation, Meter, Organisation, ServicePoint, SupplyPeriod
from osos.store.secrets import SECRET_COLUMNS, MeterSecrets, secrets_of


@dataclass
class RegistryImportReport:
    rows: int = 0
    imported_rows: int = 0
    skipped_rows: int = 0
    service_points_created: int = 0
    service_points_updated: int = 0
    meters_created: int = 0
    meters_updated: int = 0
    installations_opened: int = 0
    meter_changes: int = 0
    ratio_changes: int = 0
    supply_periods_created: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        counts = (
            self.service_points_created,
            self.service_points_updated,
            self.meters_created,
            self.meters_updated,
            self.installations_opened,
            self.supply_periods_created,
        )
        return any(counts)


def parse_file(path: Path) -> tuple[list[RegistryRow], list[str], int]:
    """Every valid row and every error of a registry file (nothing touches the database)."""
    table = read_table(path)
    errors = check_columns(table.columns)
    if any("required column" in e for e in errors):
        raise ImportFailed(errors)
    rows: list[RegistryRow] = []
    for number, cells in table.rows:
        row, row_errors = parse_row(number, cells)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    return rows, errors, len(table.rows)


def import_registry(
    session: Session, path: Path, *, skip_invalid: bool = False, actor: str = "cli"
) -> RegistryImportReport:
    """Validate the whole file, then apply it in the caller's transaction.

    Raises ImportFailed (nothing applied) when a row is invalid, unless ``skip_invalid``.
    """
    rows, errors, total = parse_file(Path(path))
    if errors and not skip_invalid:
        raise ImportFailed(errors)
    report = RegistryImportReport(rows=total, errors=errors, skipped_rows=total - len(rows))
    applier = _Applier(session, report)
    apply_errors = applier.apply(rows)
    if apply_errors:
        if not skip_invalid:
            raise ImportFailed(apply_errors)
        report.errors.extend(apply_errors)
    report.imported_rows = len(rows) - len(apply_errors)
    report.skipped_rows = total - report.imported_rows
    if report.changed:
        audit.record(
            session,
            actor=actor,
            action="registry.import",
            object_type="file",
            object_id=Path(path).name,
            detail={"rows": total, "imported": report.imported_rows, "errors": len(errors)},
        )
    return report


def _assign(obj: Any, values: dict[str, Any], secrets: MeterSecrets | None = None) -> bool:
    """Set only what differs, so an unchanged re-import issues no UPDATE (sealed secrets are
    compared opened: sealing the same text twice gives different bytes)."""
    changed = False
    for name, value in values.items():
        current = getattr(obj, name)
        if secrets is not None and name in SECRET_COLUMNS:
            current = secrets.open(current, obj.serial)
        if current != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Applier:
    def __init__(self, session: Session, report: RegistryImportReport) -> None:
        self.session = session
        self.report = report
        self._orgs: dict[str, Organisation] = {}

    def apply(self, rows: list[RegistryRow]) -> list[str]:
        errors: list[str] = []
        ordered = sorted(rows, key=lambda r: (r.service_point_no, r.installed_at, r.row))
        for row in ordered:
            try:
                with self.session.begin_nested():
                    self._apply_row(row)
            except _RowConflict as exc:
                errors.append(f"row {row.row}, column {exc.column}: {exc}")
        for row in ordered:
            if row.linked_generation:
                error = self._link_generation(row)
                if error:
                    errors.append(error)
        self.session.flush()
        return errors

    def _organisation(self, name: str, kind: OrganisationKind) -> Organisation:
        key = f"{kind.value}:{name}"
        if key not in self._orgs:
            org = self.session.scalar(select(Organisation).where(Organisation.name == name))
            if org is None:
                org = Organisation(name=name, kind=kind)
                self.session.add(org)
                self.session.flush()
            self._orgs[key] = org
        return self._orgs[key]

    def _apply_row(self, row: RegistryRow) -> None:
        sp_values = dict(row.service_point)
        if row.customer_organisation:
            org = self._organisation(row.customer_organisation, OrganisationKind.CORPORATE)
            sp_values["customer_organisation_id"] = org.id
        if row.osb:
            sp_values["osb_organisation_id"] = self._organisation(row.osb, OrganisationKind.OSB).id
        sp = self.session.scalar(
            select(ServicePoint).where(ServicePoint.no == row.service_point_no)
        )
        if sp is None:
            sp = ServicePoint(no=row.service_point_no, **sp_values)
            self.session.add(sp)
            self.session.flush()
            self.report.service_points_created += 1
        elif _assign(sp, sp_values):
            self.report.service_points_updated += 1

        meter = self.session.scalar(select(Meter).where(Meter.serial == row.meter_serial))
        meter_values = {"flag": row.flag, **row.meter}
        self._check_system_title(row)
        if meter is None:
            meter = Meter(serial=row.meter_serial, **meter_values)
            self.session.add(meter)
            self.session.flush()
            self.report.meters_created += 1
        elif _assign(meter, meter_values, secrets_of(self.session)):
            self.report.meters_updated += 1

        self._install(row, sp, meter)
        if row.supplier and row.supplier_from:
            self._supply(row, sp)

    def _check_system_title(self, row: RegistryRow) -> None:
        """A meter's system title names one meter (its pushes are found by it)."""
        title = row.meter.get("dlms_meter_system_title")
        if title is None:
            return
        other = self.session.scalar(
            select(Meter.serial).where(
                Meter.dlms_meter_system_title == title, Meter.serial != row.meter_serial
            )
        )
        if other is not None:
            raise _RowConflict(
                "dlms_meter_system_title", f"system title {title} is meter {other}'s already"
            )

    def _install(self, row: RegistryRow, sp: ServicePoint, meter: Meter) -> None:
        current = self.session.scalar(
            select(Installation).where(
                Installation.service_point_id == sp.id, Installation.removed_at.is_(None)
            )
        )
        if current is not None:
            same_meter = current.meter_id == meter.id
            same_ratio = current.ct_ratio == row.ct_ratio and current.vt_ratio == row.vt_ratio
            if same_meter and same_ratio:
                return
            if row.installed_at <= current.installed_at:
                if _already_recorded(self.session, sp.id, meter.id, row):
                    return
                raise _RowConflict(
                    "installed_at",
                    f"{row.installed_at.isoformat()} is not after the current installation's "
                    f"start {current.installed_at.isoformat()}",
                )
            current.removed_at = row.installed_at
            if row.removal_index is not None:
                current.removal_index = json.dumps(row.removal_index, sort_keys=True)
            if same_meter:
                self.report.ratio_changes += 1
            else:
                self.report.meter_changes += 1
        elif _already_recorded(self.session, sp.id, meter.id, row):
            return
        elsewhere = self.session.scalar(
            select(Installation).where(
                Installation.meter_id == meter.id,
                Installation.removed_at.is_(None),
                Installation.service_point_id != sp.id,
            )
        )
        if elsewhere is not None:
            if row.installed_at <= elsewhere.installed_at:
                raise _RowConflict(
                    "meter_serial", f"meter {meter.serial} is installed elsewhere since then"
                )
            elsewhere.removed_at = row.installed_at
        self.session.add(
            Installation(
                meter_id=meter.id,
                service_point_id=sp.id,
                installed_at=row.installed_at,
                ct_ratio=row.ct_ratio,
                vt_ratio=row.vt_ratio,
                install_index=None
                if row.install_index is None
                else json.dumps(row.install_index, sort_keys=True),
            )
        )
        self.session.flush()
        self.report.installations_opened += 1

    def _supply(self, row: RegistryRow, sp: ServicePoint) -> None:
        assert row.supplier and row.supplier_from
        # The "supplier" of a water, gas or heat meter is that medium's distribution company.
        utility = row.meter.get("kind", MeterKind.ELECTRICITY) is not MeterKind.ELECTRICITY
        kind = OrganisationKind.UTILITY if utility else OrganisationKind.SUPPLIER
        supplier = self._organisation(row.supplier, kind)
        periods = self.session.scalars(
            select(SupplyPeriod)
            .where(SupplyPeriod.service_point_id == sp.id)
            .order_by(SupplyPeriod.valid_from)
        ).all()
        if any(p.supplier_id == supplier.id and p.valid_from == row.supplier_from for p in periods):
            return
        open_period = next((p for p in periods if p.valid_to is None), None)
        if open_period is not None:
            if open_period.valid_from >= row.supplier_from:
                raise _RowConflict(
                    "supplier_from",
                    f"{row.supplier_from.isoformat()} is not after the current supply's start",
                )
            open_period.valid_to = row.supplier_from
        self.session.add(
            SupplyPeriod(
                service_point_id=sp.id, supplier_id=supplier.id, valid_from=row.supplier_from
            )
        )
        self.session.flush()
        self.report.supply_periods_created += 1

    def _link_generation(self, row: RegistryRow) -> str | None:
        sp = self.session.scalar(
            select(ServicePoint).where(ServicePoint.no == row.service_point_no)
        )
        plant = self.session.scalar(
            select(ServicePoint).where(ServicePoint.no == row.linked_generation)
        )
        if plant is None:
            return (
                f"row {row.row}, column linked_generation: no service point "
                f"{row.linked_generation!r} in the registry"
            )
        if sp is not None and sp.linked_generation_id != plant.id:
            sp.linked_generation_id = plant.id
            self.report.service_points_updated += 1
        return None


def _already_recorded(session: Session, sp_id: int, meter_id: int, row: RegistryRow) -> bool:
    """A history row seen before (same meter, ratios and start): re-import is a no-op."""
    existing = session.scalar(
        select(Installation).where(
            Installation.service_point_id == sp_id,
            Installation.meter_id == meter_id,
            Installation.installed_at == row.installed_at,
        )
    )
    return (
        existing is not None
        and existing.ct_ratio == row.ct_ratio
        and existing.vt_ratio == row.vt_ratio
    )


class _RowConflict(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
