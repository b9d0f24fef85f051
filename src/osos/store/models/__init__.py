"""All tables. Importing this module registers every table on ``Base.metadata``."""

from osos.store.models import alerts, headend, losses, mdm, raw, regulation, sharing, web
from osos.store.models.base import Base
from osos.store.models.core import (
    AuditEntry,
    CommLogEntry,
    Installation,
    Meter,
    MeterCommStatus,
    Organisation,
    ProfileConflict,
    ProfileInterval,
    ProfileIntervalHistory,
    Readout,
    ReadoutValue,
    ServicePoint,
    SupplyPeriod,
    User,
    profile_intervals,
    user_service_points,
)
from osos.store.models.raw import RawArchive, RawArchiveBlock, ReadoutRaw

__all__ = [
    "AuditEntry",
    "Base",
    "CommLogEntry",
    "Installation",
    "Meter",
    "MeterCommStatus",
    "Organisation",
    "ProfileConflict",
    "ProfileInterval",
    "ProfileIntervalHistory",
    "RawArchive",
    "RawArchiveBlock",
    "Readout",
    "ReadoutRaw",
    "ReadoutValue",
    "ServicePoint",
    "SupplyPeriod",
    "User",
    "alerts",
    "headend",
    "losses",
    "mdm",
    "profile_intervals",
    "raw",
    "regulation",
    "sharing",
    "user_service_points",
    "web",
]
