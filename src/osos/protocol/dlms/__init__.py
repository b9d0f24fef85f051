"""DLMS/COSEM engine, sans-io like the IEC 62056-21 one: HDLC and IP-wrapper links, A-XDR,
ACSE/xDLMS APDUs, AES-GCM security, client and meter sessions, the reader, capture parsing.
No sockets and no clocks in here (times are passed in). See docs/dlms.md.

Entry points: :class:`~.reader.DlmsReader` (head-end), :class:`~.client.DlmsClient`,
:class:`~.server.MeterServer` (simulator), :func:`~.capture.parse_capture` (files),
:func:`~.meter_profiles.profile_by_key`, :class:`~.security.FrameCounter`.
"""

from .association import Authentication, ClientSettings
from .axdr import Data, Tag
from .capture import parse_capture
from .client import DlmsClient
from .cosem import AttributeDescriptor, Obis
from .errors import (
    AssociationRejected,
    DataAccessError,
    DecodeError,
    DlmsError,
    SecurityError,
    ServiceError,
    SessionError,
)
from .hdlc import HdlcAddress, HdlcFrame, HdlcParameters
from .link import HdlcLink, WrapperLink
from .meter_profiles import GENERIC, PROFILES, DlmsProfile, profile_by_key, profile_for
from .mode_e import ModeE
from .read_plan import ReadPlan, ReadResult
from .reader import DlmsReader
from .security import FrameCounter, Keys, MemoryFrameCounter
from .server import MeterServer, Policy
from .wrapper import DEFAULT_PORT, WrapperFrame

__all__ = [
    "DEFAULT_PORT",
    "GENERIC",
    "PROFILES",
    "AssociationRejected",
    "AttributeDescriptor",
    "Authentication",
    "ClientSettings",
    "Data",
    "DataAccessError",
    "DecodeError",
    "DlmsClient",
    "DlmsError",
    "DlmsProfile",
    "DlmsReader",
    "FrameCounter",
    "HdlcAddress",
    "HdlcFrame",
    "HdlcLink",
    "HdlcParameters",
    "Keys",
    "MemoryFrameCounter",
    "MeterServer",
    "ModeE",
    "Obis",
    "Policy",
    "ReadPlan",
    "ReadResult",
    "SecurityError",
    "ServiceError",
    "SessionError",
    "Tag",
    "WrapperFrame",
    "WrapperLink",
    "parse_capture",
    "profile_by_key",
    "profile_for",
]
