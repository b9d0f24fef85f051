"""DLMS DataNotification pushes arriving on the dial-in listener (a meter that calls in on its
own, IEC 62056-6-2 push setup), turned into the same readout values a read gives.

A push body is read as OBIS/value pairs (flat or in structures, a scaler_unit structure after
a value where the meter sends one), each mapped through the meter profile's table to the
register an IEC meter gives; the serial comes from the pushed logical device name or serial
number (0.0.42.0.0.255, 0.0.96.1.0.255). Who may push: a registered DLMS meter with no
security (``dlms_authentication`` none). A plain push naming a meter registered with a
password or keys proves nothing and is refused as an identity finding; glo-ciphered pushes
are logged and not stored (finding the meter's keys by its system title is not done yet).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from osos.protocol.dlms.adapter import printable, read_value
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.classes import ScalerUnit
from osos.protocol.dlms.cosem import Obis
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.meter_profiles import GENERIC, DlmsProfile
from osos.protocol.dlms.wrapper import WrapperBuffer
from osos.protocol.dlms.xdlms import DataNotification
from osos.readings import ReadValue

log = logging.getLogger(__name__)

DEVICE_NAMES = (Obis.parse("0.0.42.0.0.255"), Obis.parse("0.0.96.1.0.255"))
CIPHERED_TAGS = frozenset({0xDB, 0xDF, 0xE0})  # general-glo/-ded-ciphering, general-ciphering


@dataclass(frozen=True)
class Push:
    serial: str | None
    values: tuple[ReadValue, ...]
    sent_at: dt.datetime | None
    ciphered: bool = False


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
    for obis, value, scaler in _pairs(notification.body):
        if obis in DEVICE_NAMES and value.tag in (Tag.OCTET_STRING, Tag.VISIBLE_STRING):
            serial = serial or printable(value).strip()
        spec = profile.by_logical_name(obis)
        if spec is not None:
            values.append(read_value(spec, value, scaler, None, profile.deviation))
    stamp = notification.date_time
    sent_at = stamp.to_utc(profile.deviation) if stamp is not None else None
    return Push(serial, tuple(values), sent_at)


def decode_pushes(data: bytes) -> list[Push]:
    """Every push in a call's bytes (IP-wrapper frames); DlmsError for bytes that are not."""
    buffer = WrapperBuffer()
    buffer.feed(data)
    pushes = []
    for frame in buffer.frames():
        apdu = frame.payload
        if apdu[:1] and apdu[0] in CIPHERED_TAGS:
            pushes.append(Push(None, (), None, ciphered=True))
        elif apdu[:1] == b"\x0f":
            pushes.append(push_of(DataNotification.from_bytes(apdu)))
        else:
            raise DlmsError(f"a pushed frame that is not a DataNotification (0x{apdu[0]:02X})")
    return pushes
