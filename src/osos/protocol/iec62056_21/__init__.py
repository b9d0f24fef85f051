"""IEC 62056-21 (mode C) engine, sans-io: messages, framing, data sets, load profiles,
client and meter sessions, capture parsing. No sockets and no clocks in here.

Entry points: :class:`~.session.ClientSession` (head-end), :class:`~.meter_session.MeterSession`
(simulator), :func:`~.capture.parse_capture` (files), :func:`~.meter_profiles.profile_for`.
"""

from .capture import CaptureResult, parse_capture
from .datasets import DataSet, ValueGroup, parse_data_sets, scan_data_block
from .errors import (
    BccError,
    DataSetError,
    FrameError,
    IecError,
    NotAReadoutError,
    ParityError,
    ProfileError,
    SessionError,
    TimestampError,
)
from .framing import FrameBuffer, ParityCodec, add_even_parity, strip_parity
from .messages import (
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    Nak,
    RequestMessage,
    bcc,
    decode,
    frame_bcc,
)
from .meter_profiles import GENERIC, PROFILES, MeterProfile, profile_for
from .meter_session import MeterProvider, MeterSession
from .profile import Channel, LoadProfile, ProfileRecord, encode_profile, parse_profile
from .session import ClientSession

__all__ = [
    "GENERIC",
    "PROFILES",
    "Ack",
    "AckOptionSelect",
    "BccError",
    "CaptureResult",
    "Channel",
    "ClientSession",
    "CommandMessage",
    "DataMessage",
    "DataSet",
    "DataSetError",
    "FrameBuffer",
    "FrameError",
    "IdentificationMessage",
    "IecError",
    "LoadProfile",
    "MeterProfile",
    "MeterProvider",
    "MeterSession",
    "Nak",
    "NotAReadoutError",
    "ParityCodec",
    "ParityError",
    "ProfileError",
    "ProfileRecord",
    "RequestMessage",
    "SessionError",
    "TimestampError",
    "ValueGroup",
    "add_even_parity",
    "bcc",
    "decode",
    "encode_profile",
    "frame_bcc",
    "parse_capture",
    "parse_data_sets",
    "parse_profile",
    "profile_for",
    "scan_data_block",
    "strip_parity",
]
