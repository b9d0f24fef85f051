"""The baselines the IEC 62056-21 codec is measured against, in the same run.

* **typed regex**: what a competent engineer writes in an afternoon when only speed matters —
  compiled regexes over the data block, the BCC checked with a bulk XOR, ``Decimal`` for
  numbers, aware ``datetime`` for time stamps (fields by regex groups and ``int``, no
  ``strptime``), P.01 record times from the header time plus the period. It does no error
  reporting, no continuation lines, no OBIS check, no parity stripping beyond a mask: it is
  the floor a real codec can approach, not a strawman.
* **the PyPI package** ``iec62056-21`` (optional, ``pip install -e '.[bench]'``): its
  ``ReadoutDataMessage`` / ``AnswerDataMessage`` parse a frame (BCC checked) into address,
  value and unit strings; it types nothing. When the package is missing its figures say
  "skipped".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from osos.timeutil import LOCAL_TZ

_MASK7 = bytes(range(128)) * 2
_IDENT = re.compile(rb"/([A-Za-z]{3})([0-9A-Z])([^\r\n/]*)\r?\n")
_DATA_SET = re.compile(
    r"([^()\r\n!]+)\(([^()*\r\n]*)(?:\*([^()\r\n]*))?\)(?:\(([^()\r\n]*)\))?(?:\([^()\r\n]*\))*"
)
_NUMBER = re.compile(r" *[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) *")
_STAMP = re.compile(
    r"([0-9]{2})-([0-9]{2})-([0-9]{2})[, ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
    r"|[012]?([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})?"
)
_HEADER = re.compile(r"P\.[0-9]{2}\(([0-9]{11,13})\)\(([^()]*)\)\(([0-9]+)\)\(([0-9]+)\)(.*)")
_GROUP = re.compile(r"\(([^()]*)\)")


def xor_bcc(data: bytes) -> int:
    """XOR of all bytes, folded as one big integer (C speed), on 7 bits."""
    size = len(data)
    value = int.from_bytes(data, "little")
    while size > 1:
        half = (size + 1) >> 1
        bits = half << 3
        value = (value >> bits) ^ (value & ((1 << bits) - 1))
        size = half
    return value & 0x7F


def _stamp(text: str) -> dt.datetime | None:
    match = _STAMP.fullmatch(text)
    if match is None:
        return None
    parts = [int(p) for p in match.groups() if p is not None]
    if not any(parts):
        return None
    year, month, day, hour, minute, *rest = parts
    try:
        return dt.datetime(2000 + year, month, day, hour, minute, *rest, tzinfo=LOCAL_TZ)
    except ValueError:
        return None


def _block(data: bytes) -> tuple[str, bool]:
    """The data block's text and whether its BCC (when captured) verified."""
    if max(data, default=0) > 0x7F:
        data = data.translate(_MASK7)
    stx = data.find(2)
    if stx < 0:
        match = _IDENT.search(data)
        start = match.end() if match else 0
        end = data.find(3, start)
        return data[start : end if end >= 0 else len(data)].decode("ascii", "replace"), True
    etx = data.find(3, stx)
    etx = len(data) if etx < 0 else etx
    verified = etx + 1 >= len(data) or xor_bcc(data[stx + 1 : etx + 1]) == data[etx + 1] & 0x7F
    return data[stx + 1 : etx].decode("ascii", "replace"), verified


def typed_readout(data: bytes) -> list[tuple[str, Decimal | None, str | None, dt.datetime | None]]:
    """(address, number, unit, time of the second group) for every data set of a capture."""
    text, verified = _block(data)
    if not verified:
        raise ValueError("bad BCC")
    out = []
    for address, value, unit, second in _DATA_SET.findall(text):
        number = Decimal(value) if _NUMBER.fullmatch(value) else None
        out.append((address.strip(), number, unit or None, _stamp(second) if second else None))
    return out


def typed_profile(data: bytes, step: dt.timedelta = dt.timedelta(minutes=15)) -> list[Any]:
    """(time, {channel: Decimal}) per P.01 record: VDEW header form or per-row time stamps."""
    text, verified = _block(data)
    if not verified:
        raise ValueError("bad BCC")
    lines = text.splitlines()
    header = _HEADER.match(lines[0])
    records: list[Any] = []
    if header is not None:
        start = _stamp(header[1])
        assert start is not None
        step = dt.timedelta(minutes=int(header[3]))
        names = _GROUP.findall(header[5])[::2]
        for index, line in enumerate(lines[1:]):
            values = [Decimal(v) if _NUMBER.fullmatch(v) else None for v in _GROUP.findall(line)]
            records.append((start + step * index, dict(zip(names, values, strict=True))))
        return records
    names = ["1.8.0", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0"]
    for line in lines:
        stamp, *values = _GROUP.findall(line)
        numbers = [Decimal(v) if _NUMBER.fullmatch(v) else None for v in values[:6]]
        records.append((_stamp(stamp), dict(zip(names, numbers, strict=True)), values[6:]))
    return records


def package() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]] | None:
    """(readout parser, answer parser) of the PyPI ``iec62056-21`` package, or None."""
    try:
        from iec62056_21 import messages  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def readout(frame: bytes) -> Any:
        message = messages.ReadoutDataMessage.from_representation(frame.decode("latin-1"))
        return [s for line in message.data_block.data_lines for s in line.data_sets]

    def answer(frame: bytes) -> Any:
        return messages.AnswerDataMessage.from_representation(frame.decode("latin-1")).data

    return readout, answer


def as_frame(data: bytes) -> bytes:
    """A capture as the ``STX block ETX BCC`` frame the package needs (made before timing)."""
    text, _verified = _block(data)
    body = text.encode("ascii", "replace") + b"\x03"
    return b"\x02" + body + bytes([xor_bcc(body)])
