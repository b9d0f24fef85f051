"""Is the meter that answered the meter we think it is? Checked before anything it sent is
stored as that meter's reading (issue 12: a dial-in's ``ID:<serial>`` greeting is only a
claim). A mismatch fails the session and becomes a security finding (:mod:`.flush`)."""

from __future__ import annotations

from collections.abc import Iterable

from osos.headend.readplan import ReadFailed, ReadOutcome, ReadRequest
from osos.protocol.iec62056_21.adapter import SERIAL_REGISTERS, serial_matches
from osos.readings import ReadValue


def named_serials(values: Iterable[ReadValue]) -> list[str]:
    return [v.value.strip() for v in values if v.obis in SERIAL_REGISTERS and v.value.strip()]


def check_identity(
    request: ReadRequest, values: Iterable[ReadValue], outcome: ReadOutcome, *, verified: bool
) -> None:
    """Raise :class:`ReadFailed` unless the values may be stored as ``request.serial``'s.
    ``verified``: the meter proved itself otherwise (an authenticated DLMS association)."""
    values = list(values)
    named = named_serials(values)
    if not serial_matches(request.serial, values):
        outcome.identity_mismatch = ", ".join(named)[:64]
        raise ReadFailed("readout", "the meter that answered is not this meter (serial)")
    if request.require_identity and not named and not verified:
        outcome.identity_mismatch = "(none given)"
        raise ReadFailed("readout", "the meter did not name its serial: not stored unverified")
