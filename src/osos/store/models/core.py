"""The foundation tables: who is who, what is where, what was read, who did what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from osos.channels import CHANNELS
from osos.domain import (
    CommMode,
    Connection,
    DataSource,
    Generation,
    MeterKind,
    OrganisationKind,
    Protocol,
    ReadSource,
    SmartClass,
    TariffGroup,
    UserKind,
)
from osos.store.models.base import Base, str_enum
from osos.store.types import ExactDecimal, UTCDateTime, stamp


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    email: Mapped[str | None] = mapped_column(String(200))
    eic: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)


class ServicePoint(Base):
    """Hizmet noktası / tesisat: the place energy is metered, with what the rules need."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    etso_code: Mapped[str | None] = mapped_column(String(16), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    center: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    connection: Mapped[Connection] = mapped_column(
        str_enum(Connection), default=Connection.DISTRIBUTION
    )
    voltage_level: Mapped[str | None] = mapped_column(String(32))
    contract_power_kw: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    installed_power_kva: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    balancing_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    generation: Mapped[Generation] = mapped_column(str_enum(Generation), default=Generation.NONE)
    scope_category: Mapped[str | None] = mapped_column(String(64))
    tariff_group: Mapped[TariffGroup | None] = mapped_column(str_enum(TariffGroup))
    exchange_point: Mapped[bool] = mapped_column(Boolean, default=False)
    pano: Mapped[str | None] = mapped_column(String(64), index=True)  # the panel it hangs on
    linked_generation_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    customer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    osb_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp, onupdate=stamp)

    installations: Mapped[list[Installation]] = relationship(
        back_populates="service_point", order_by="Installation.installed_at"
    )
    customer_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[customer_organisation_id]
    )


class Meter(Base):
    __tablename__ = "meters"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    flag: Mapped[str] = mapped_column(String(3))
    make: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    protocol: Mapped[Protocol] = mapped_column(str_enum(Protocol), default=Protocol.IEC62056_21)
    kind: Mapped[MeterKind] = mapped_column(str_enum(MeterKind), default=MeterKind.ELECTRICITY)
    comm_mode: Mapped[CommMode] = mapped_column(str_enum(CommMode), default=CommMode.NONE)
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    device_address: Mapped[str | None] = mapped_column(String(32))
    # Secrets, sealed at rest (osos.store.secrets): never logged, never rendered, never
    # exported; opened only by the head-end for the call. ``password``: the IEC 62056-21 P1
    # password, or the DLMS low-level-security password.
    password: Mapped[str | None] = mapped_column(Text)
    # DLMS/COSEM addressing and security (docs/dlms.md); None: the protocol's defaults.
    dlms_client_sap: Mapped[int | None] = mapped_column(Integer)
    dlms_server_logical: Mapped[int | None] = mapped_column(Integer)
    dlms_server_physical: Mapped[int | None] = mapped_column(Integer)
    dlms_authentication: Mapped[str | None] = mapped_column(String(16))  # none, lls, hls-gmac
    dlms_encryption_key: Mapped[str | None] = mapped_column(Text)  # sealed, 32 hex digits
    dlms_authentication_key: Mapped[str | None] = mapped_column(Text)  # sealed
    # System titles (8 bytes, hex): ``dlms_system_title`` is the client's (osos's own, in the
    # AARQ and the IV of what osos ciphers); ``dlms_meter_system_title`` is the meter's own,
    # which names it in a general-glo-ciphering push (unique: the push is found by it).
    dlms_system_title: Mapped[str | None] = mapped_column(String(16))
    dlms_meter_system_title: Mapped[str | None] = mapped_column(String(16), index=True, unique=True)
    smart_class: Mapped[SmartClass] = mapped_column(str_enum(SmartClass), default=SmartClass.NONE)
    manufactured_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)

    installations: Mapped[list[Installation]] = relationship(back_populates="meter")

    def __repr__(self) -> str:
        return f"Meter(serial={self.serial!r}, flag={self.flag!r}, password=***)"


class Installation(Base):
    """A meter at a service point for a time, with its transformer ratios.

    Meter changes and multiplier changes are rows here: consumption is split at their edges.
    """

    __tablename__ = "installations"
    __table_args__ = (Index("ix_installations_sp_time", "service_point_id", "installed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ct_ratio: Mapped[Decimal] = mapped_column(ExactDecimal)
    vt_ratio: Mapped[Decimal] = mapped_column(ExactDecimal)
    # Register values at installation / removal as JSON {"1.8.0": "123.456", …} (takma / sökme).
    install_index: Mapped[str | None] = mapped_column(Text)
    removal_index: Mapped[str | None] = mapped_column(Text)

    meter: Mapped[Meter] = relationship(back_populates="installations")
    service_point: Mapped[ServicePoint] = relationship(back_populates="installations")

    @property
    def multiplier(self) -> Decimal:
        return self.ct_ratio * self.vt_ratio

    @classmethod
    def at(cls, when: dt.datetime) -> ColumnElement[bool]:
        """The rows of the meters installed at the instant ``when`` (a query's condition)."""
        return and_(cls.installed_at <= when, or_(cls.removed_at.is_(None), cls.removed_at > when))


class SupplyPeriod(Base):
    """A supplier supplies a service point from … to (its portfolio)."""

    __tablename__ = "supply_periods"
    __table_args__ = (UniqueConstraint("service_point_id", "supplier_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Readout(Base):
    """One response of a meter as received: every result traces back to its bytes, which live
    in ``readout_raw`` (then in the month's archive file), found by ``osos.store.raw.raw_of``."""

    __tablename__ = "readouts"
    __table_args__ = (UniqueConstraint("meter_id", "raw_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # readout | profile
    source: Mapped[ReadSource] = mapped_column(str_enum(ReadSource))
    identification: Mapped[str | None] = mapped_column(String(64))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    meter_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    comm_log_id: Mapped[int | None] = mapped_column(ForeignKey("comm_log.id"))


class ReadoutValue(Base):
    """One data set of a readout. ``value`` is the exact text; ``number`` its Decimal if any."""

    __tablename__ = "readout_values"
    __table_args__ = (Index("ix_readout_values_meter_obis", "meter_id", "obis", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    readout_id: Mapped[int] = mapped_column(ForeignKey("readouts.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    obis: Mapped[str] = mapped_column(String(32))  # normalised: 1.8.0, 1.8.0*1
    address: Mapped[str] = mapped_column(String(32))  # as the meter wrote it
    value: Mapped[str] = mapped_column(String(128))
    number: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    unit: Mapped[str | None] = mapped_column(String(16))
    value_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def _channel_columns() -> dict[str, Column[int]]:
    return {c.column: Column(c.column, BigInteger, nullable=True) for c in CHANNELS}


profile_intervals = Table(
    "profile_intervals",
    Base.metadata,
    Column("meter_id", Integer, ForeignKey("meters.id"), primary_key=True),
    Column("end_at", UTCDateTime, primary_key=True),
    *_channel_columns().values(),
    Column("extra", Text, nullable=True),  # other channels as JSON {obis: "exact text"}
    Column("status", String(16), nullable=True),  # the meter's status word
    Column("source", str_enum(DataSource), nullable=False, default=DataSource.ACTUAL.value),
    Column("version", Integer, nullable=False, default=1),
    Column("readout_id", Integer, ForeignKey("readouts.id"), nullable=True),
)
"""One row per meter and interval end, typed channels in milli-units (see osos.channels).

The primary key (meter, end) makes ingest idempotent; a differing re-read goes to
``profile_conflicts`` instead of overwriting.
"""


class ProfileInterval(Base):
    __table__ = profile_intervals


class ProfileIntervalHistory(Base):
    """An earlier version of an interval row: estimates replaced by actual reads, operator edits.

    The current row stays in ``profile_intervals``; every superseded version lands here with who
    replaced it, when and why, so nothing is ever silently changed.
    """

    __tablename__ = "profile_interval_history"
    __table_args__ = (Index("ix_profile_interval_history_key", "meter_id", "end_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[DataSource] = mapped_column(str_enum(DataSource))
    values: Mapped[str] = mapped_column(Text)  # JSON {column: milli-units or null, "status": …}
    readout_id: Mapped[int | None] = mapped_column(ForeignKey("readouts.id"))
    superseded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    superseded_by: Mapped[str] = mapped_column(String(200))  # login, "headend", "estimation"
    reason: Mapped[str | None] = mapped_column(Text)


class ProfileConflict(Base):
    """A re-read interval whose values differ from the stored ones: kept for the operator."""

    __tablename__ = "profile_conflicts"
    __table_args__ = (UniqueConstraint("meter_id", "end_at", "readout_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    readout_id: Mapped[int | None] = mapped_column(ForeignKey("readouts.id"))
    values: Mapped[str] = mapped_column(Text)  # JSON {column: milli-units} as read again
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(200))


class CommLogEntry(Base):
    """Every communication attempt with a meter (the regulation asks for each problem)."""

    __tablename__ = "comm_log"
    __table_args__ = (Index("ix_comm_log_meter_started", "meter_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"))
    job_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    direction: Mapped[CommMode] = mapped_column(str_enum(CommMode))
    purpose: Mapped[str] = mapped_column(String(32))  # readout | profile | time_set | …
    outcome: Mapped[str] = mapped_column(String(16))  # ok | failed | partial
    error: Mapped[str | None] = mapped_column(Text)
    bytes_sent: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(Integer, default=0)
    peer: Mapped[str | None] = mapped_column(String(255))
    transcript: Mapped[bytes | None] = mapped_column(LargeBinary)  # raw, kept on failure


class MeterCommStatus(Base):
    """The latest communication state of a meter, kept alongside the log for quick queries."""

    __tablename__ = "meter_comm_status"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_profile_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


user_service_points = Table(
    "user_service_points",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("service_point_id", Integer, ForeignKey("service_points.id"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # installation no or e-mail
    kind: Mapped[UserKind] = mapped_column(str_enum(UserKind))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="tr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)

    service_points: Mapped[list[ServicePoint]] = relationship(secondary=user_service_points)
    organisation: Mapped[Organisation | None] = relationship()


class AuditEntry(Base):
    """Who saw or changed what, when: every view and export of meter data lands here."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))  # login, "cli", "headend", …
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
    ip: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | denied | failed
