"""DLMS DataNotification pushes arriving on the dial-in listener (a meter that calls in on its
own, IEC 62056-6-2 push setup), turned into the same readout values a read gives. Pure: no
database, no sockets (:mod:`.push_in` does the look-ups and the storing).

A call is IP-wrapper frames (``00 01 …``) or HDLC frames (``7E …``, UI or I frames, LLC
``E6 E7 00`` or none, segmented APDUs reassembled). Each APDU is a plain DataNotification, or
a ciphered one: general-glo-ciphering (0xDB, the meter's system title in it) or glo-ciphered
(a glo tag, no title: the meter must be known from the frame's address). A ciphered push is
opened with the meter's keys by the same AES-GCM code the client uses
(:meth:`~osos.protocol.dlms.security.CipheredApdu.open`) and must be authenticated (SC 0x10
or 0x30): an encryption-only push could have been made by anyone who knows the framing.

A push body is read as OBIS/value pairs (flat or in structures, a scaler_unit structure after
a value where the meter sends one), each mapped through the meter profile's table to the
register an IEC meter gives; the serial comes from the pushed logical device name or serial
number (0.0.42.0.0.255, 0.0.96.1.0.255); the time from the notification's date-time, else
from a clock (0.0.1.0.0.255) in the body.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, replace

from osos.protocol.dlms.adapter import printable, read_value
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.classes import ScalerUnit
from osos.protocol.dlms.cosem import Obis
from osos.protocol.dlms.dates import DateTime
from osos.protocol.dlms.errors import DlmsError, SecurityError
from osos.protocol.dlms.hdlc import (
    FLAG,
    LLC_REQUEST,
    LLC_RESPONSE,
    FrameBuffer,
    FrameKind,
    HdlcFrame,
)
from osos.protocol.dlms.meter_profiles import GENERIC, DlmsProfile
from osos.protocol.dlms.security import AUTHENTICATED, GENERAL_GLO, PLAIN_TAGS, CipheredApdu, Keys
from osos.protocol.dlms.wrapper import WrapperBuffer
from osos.protocol.dlms.xdlms import DataNotification
from osos.readings import ReadValue

DEVICE_NAMES = (Obis.parse("0.0.42.0.0.255"), Obis.parse("0.0.96.1.0.255"))
CLOCK = Obis.parse("0.0.1.0.0.255")
DATA_NOTIFICATION = 0x0F
CIPHERED_TAGS = frozenset({GENERAL_GLO, *PLAIN_TAGS})


class Layer(enum.Enum):
    WRAPPER = "wrapper"
    HDLC = "hdlc"


@dataclass(frozen=True)
class PushSource:
    """Where a pushed APDU came from: the HDLC source address (the meter's server address),
    or the wrapper's source wPort (the meter's logical device, ``physical`` None)."""

    layer: Layer
    logical: int
    physical: int | None = None

    def __str__(self) -> str:
        if self.layer is Layer.WRAPPER:
            return f"wrapper wPort {self.logical}"
        physical = "" if self.physical is None else f"/{self.physical}"
        return f"HDLC address {self.logical}{physical}"


@dataclass(frozen=True)
class Push:
    """One pushed APDU: what it says (``ciphered`` set and nothing else until opened)."""

    serial: str | None
    values: tuple[ReadValue, ...]
    sent_at: dt.datetime | None
    ciphered: CipheredApdu | None = None
    source: PushSource | None = None

    @property
    def system_title(self) -> bytes | None:
        """The meter's system title a general-glo-ciphering push names (None otherwise)."""
        return self.ciphered.system_title if self.ciphered is not None else None

    @property
    def invocation_counter(self) -> int | None:
        return self.ciphered.invocation_counter if self.ciphered is not None else None


def _pairs(body: Data) -> Iterator[tuple[Obis, Data, ScalerUnit | None]]:
    items = list(body.items) if body.tag in (Tag.ARRAY, Tag.STRUCTURE) else []
    i = 0
    while i < len(items):
        item = items[i]
        if item.tag is Tag.STRUCTURE:
            yield from _pairs(item)
        elif _is_obis(item) and i + 1 < len(items) and not _is_obis(items[i + 1]):
            value = items[i + 1]
            i += 1
            scaler = None
            if i + 1 < len(items) and _is_scaler(items[i + 1]):
                scaler = ScalerUnit.from_data(items[i + 1])
                i += 1
            yield Obis.from_bytes(item.as_bytes()), value, scaler
        i += 1


def _is_obis(item: Data) -> bool:
    return item.tag is Tag.OCTET_STRING and isinstance(item.value, bytes) and len(item.value) == 6


def _is_scaler(item: Data) -> bool:
    kinds = [i.tag for i in item.items] if item.tag is Tag.STRUCTURE else []
    return kinds == [Tag.INTEGER, Tag.ENUM]


def push_of(notification: DataNotification, profile: DlmsProfile = GENERIC) -> Push:
    """One notification's serial and values (pairs the profile does not map are left out)."""
    serial = None
    values = []
    stamp = notification.date_time
    for obis, value, scaler in _pairs(notification.body):
        if obis in DEVICE_NAMES and value.tag in (Tag.OCTET_STRING, Tag.VISIBLE_STRING):
            serial = serial or printable(value).strip()
        if obis == CLOCK and stamp is None and value.tag is Tag.OCTET_STRING:
            stamp = _clock(value)
        spec = profile.by_logical_name(obis)
        if spec is not None:
            values.append(read_value(spec, value, scaler, None, profile.deviation))
    sent_at = stamp.to_utc(profile.deviation) if stamp is not None else None
    return Push(serial, tuple(values), sent_at)


def _clock(value: Data) -> DateTime | None:
    raw = value.as_bytes()
    try:
        return DateTime.from_bytes(raw) if len(raw) == 12 else None
    except DlmsError:
        return None


def pushed_apdus(data: bytes) -> list[tuple[bytes, PushSource]]:
    """Every APDU of a call's bytes with where it came from; DlmsError for bytes that are
    neither wrapper nor HDLC frames, or frames that are not pushes."""
    if data[:1] == bytes((FLAG,)):
        return _hdlc_apdus(data)
    buffer = WrapperBuffer()
    buffer.feed(data)
    return [(f.payload, PushSource(Layer.WRAPPER, f.source)) for f in buffer.frames()]


def _hdlc_apdus(data: bytes) -> list[tuple[bytes, PushSource]]:
    buffer = FrameBuffer()
    buffer.feed(data)
    out: list[tuple[bytes, PushSource]] = []
    pending = b""
    for raw in buffer.frames():
        frame = HdlcFrame.from_bytes(raw)  # HCS and FCS checked: a bad frame refuses the call
        if frame.kind not in (FrameKind.UI, FrameKind.I) or not frame.info:
            raise DlmsError(f"a pushed HDLC frame that is not UI or I ({frame.kind.value})")
        info = frame.info
        if not pending and info[:3] in (LLC_RESPONSE, LLC_REQUEST):
            info = info[3:]
        pending += info
        if not frame.segmented:
            source = frame.source
            out.append((pending, PushSource(Layer.HDLC, source.logical, source.physical)))
            pending = b""
    if pending:
        raise DlmsError(f"a segmented pushed APDU without its last frame ({len(pending)} bytes)")
    if buffer.discarded:
        raise DlmsError(f"{buffer.discarded} bytes between the HDLC frames are not frames")
    return out


def read_push(apdu: bytes, source: PushSource, profile: DlmsProfile = GENERIC) -> Push:
    """One APDU: a plain push read, or a ciphered one kept for :func:`open_push`."""
    if apdu[:1] and apdu[0] in CIPHERED_TAGS:
        return Push(None, (), None, ciphered=CipheredApdu.from_bytes(apdu), source=source)
    if apdu[:1] == bytes((DATA_NOTIFICATION,)):
        return replace(push_of(DataNotification.from_bytes(apdu), profile), source=source)
    raise DlmsError(f"a pushed APDU that is not a DataNotification (0x{apdu[:1].hex()})")


def decode_pushes(data: bytes, profile: DlmsProfile = GENERIC) -> list[Push]:
    """Every push in a call's bytes; DlmsError for bytes that are not pushes."""
    return [read_push(apdu, source, profile) for apdu, source in pushed_apdus(data)]


def open_push(
    push: Push, keys: Keys, meter_title: bytes | None, profile: DlmsProfile = GENERIC
) -> Push:
    """A ciphered push opened and read. ``meter_title``: the registry's system title of the
    meter (used when the APDU names none). SecurityError when the push is not authenticated,
    its tag does not verify or the title is not known; DlmsError when what it hides is not a
    DataNotification."""
    ciphered = push.ciphered
    if ciphered is None:
        return push
    if not ciphered.security_control & AUTHENTICATED:
        raise SecurityError(
            f"security control 0x{ciphered.security_control:02X}: encrypted but not "
            "authenticated, anyone could have sent it"
        )
    plain = ciphered.open(keys, meter_title)
    if plain[:1] != bytes((DATA_NOTIFICATION,)):
        raise DlmsError(f"a ciphered push that hides 0x{plain[:1].hex()}, not a DataNotification")
    read = push_of(DataNotification.from_bytes(plain), profile)
    return replace(read, ciphered=ciphered, source=push.source)
