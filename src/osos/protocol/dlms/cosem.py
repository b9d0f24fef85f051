"""COSEM addressing on the wire: the logical name (OBIS, 6 bytes), attribute and method
descriptors, and selective access by range (Blue Book: profile generic, access selector 1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from osos.obis import normalize_obis

from .axdr import Data, Tag, decode
from .dates import DateTime
from .errors import DecodeError
from .wire import Reader


class ClassId(enum.IntEnum):
    DATA = 1
    REGISTER = 3
    EXTENDED_REGISTER = 4
    DEMAND_REGISTER = 5
    PROFILE_GENERIC = 7
    CLOCK = 8
    ASSOCIATION_LN = 15
    IEC_HDLC_SETUP = 23
    PUSH_SETUP = 40
    SECURITY_SETUP = 64


@dataclass(frozen=True, order=True)
class Obis:
    """A logical name A.B.C.D.E.F (six bytes)."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    @classmethod
    def parse(cls, text: str) -> Obis:
        """``1.0.1.8.0.255``, ``1-0:1.8.0.255`` or ``1-0:1.8.0*255``."""
        parts = text.replace("-", ".").replace(":", ".").replace("*", ".").split(".")
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise DecodeError("OBIS code", 0, f"six numbers, got {text!r}") from None
        if len(values) == 5:
            values.append(255)
        if len(values) != 6 or any(not 0 <= v <= 255 for v in values):
            raise DecodeError("OBIS code", 0, f"six numbers 0..255, got {text!r}")
        return cls(*values)

    @classmethod
    def from_bytes(cls, data: bytes) -> Obis:
        if len(data) != 6:
            raise DecodeError("OBIS code", 0, f"6 bytes, got {len(data)}")
        return cls(*data)

    def to_bytes(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    @property
    def dotted(self) -> str:
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    @property
    def short(self) -> str:
        """osos's short form (``1.8.0``, ``1.8.0*1``, ``32.7.0``)."""
        return normalize_obis(f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}*{self.f}")

    def __str__(self) -> str:
        return self.dotted

    def __repr__(self) -> str:
        return f"Obis({self.dotted})"


CLOCK_OBIS: Final = Obis(0, 0, 1, 0, 0, 255)
ASSOCIATION_OBIS: Final = Obis(0, 0, 40, 0, 0, 255)


@dataclass(frozen=True)
class AttributeDescriptor:
    class_id: int
    obis: Obis
    attribute: int

    def to_bytes(self) -> bytes:
        return self.class_id.to_bytes(2, "big") + self.obis.to_bytes() + bytes((self.attribute,))

    @classmethod
    def read(cls, r: Reader) -> AttributeDescriptor:
        class_id = r.uint(2, "the class id")
        obis = Obis.from_bytes(r.take(6, "the logical name"))
        return cls(class_id, obis, r.u8("the attribute id"))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis.dotted}/{self.attribute}"


@dataclass(frozen=True)
class MethodDescriptor:
    class_id: int
    obis: Obis
    method: int

    def to_bytes(self) -> bytes:
        return self.class_id.to_bytes(2, "big") + self.obis.to_bytes() + bytes((self.method,))

    @classmethod
    def read(cls, r: Reader) -> MethodDescriptor:
        class_id = r.uint(2, "the class id")
        obis = Obis.from_bytes(r.take(6, "the logical name"))
        return cls(class_id, obis, r.u8("the method id"))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis.dotted}/m{self.method}"


def capture_object(item: AttributeDescriptor, data_index: int = 0) -> Data:
    """A capture-object definition {class_id, logical_name, attribute_index, data_index}."""
    return Data.structure(
        Data(Tag.LONG_UNSIGNED, item.class_id),
        Data.octets(item.obis.to_bytes()),
        Data(Tag.INTEGER, item.attribute),
        Data(Tag.LONG_UNSIGNED, data_index),
    )


def read_capture_object(value: Data) -> AttributeDescriptor:
    items = value.items
    if len(items) != 4:
        raise DecodeError("capture object", 0, f"4 fields, got {len(items)}")
    return AttributeDescriptor(
        items[0].as_int(), Obis.from_bytes(items[1].as_bytes()), items[2].as_int()
    )


@dataclass(frozen=True)
class SelectiveAccess:
    """An access selector and its parameters (selector 1: range, 2: entry)."""

    selector: int
    parameters: Data

    def to_bytes(self) -> bytes:
        return bytes((self.selector,)) + self.parameters.to_bytes()


@dataclass(frozen=True)
class RangeDescriptor:
    """Selector 1 on a profile buffer: rows whose ``restricting`` column (the clock) is in
    [from_value, to_value]; ``columns`` empty means all columns."""

    restricting: AttributeDescriptor
    from_value: Data
    to_value: Data
    columns: tuple[AttributeDescriptor, ...] = ()

    @classmethod
    def by_clock(
        cls,
        start: DateTime,
        end: DateTime,
        columns: tuple[AttributeDescriptor, ...] = (),
        clock: AttributeDescriptor | None = None,
    ) -> RangeDescriptor:
        restricting = clock or AttributeDescriptor(ClassId.CLOCK, CLOCK_OBIS, 2)
        return cls(restricting, Data.octets(start.to_bytes()), Data.octets(end.to_bytes()), columns)

    def to_access(self) -> SelectiveAccess:
        return SelectiveAccess(
            1,
            Data.structure(
                capture_object(self.restricting),
                self.from_value,
                self.to_value,
                Data.array(*(capture_object(c) for c in self.columns)),
            ),
        )

    @classmethod
    def from_access(cls, access: SelectiveAccess) -> RangeDescriptor:
        if access.selector != 1:
            raise DecodeError("selective access", 0, f"selector 1 (range), got {access.selector}")
        items = access.parameters.items
        if len(items) != 4:
            raise DecodeError("range descriptor", 0, f"4 fields, got {len(items)}")
        columns = tuple(read_capture_object(c) for c in items[3].items)
        return cls(read_capture_object(items[0]), items[1], items[2], columns)


def read_access(r: Reader) -> SelectiveAccess | None:
    """``00`` (none) or ``01 selector Data``."""
    flag = r.u8("the access-selection flag")
    if flag == 0:
        return None
    if flag != 1:
        raise r.fail(f"access-selection flag 0 or 1, got {flag}", r.pos - 1)
    selector = r.u8("the access selector")
    return SelectiveAccess(selector, decode(r))


def write_access(access: SelectiveAccess | None) -> bytes:
    return b"\x00" if access is None else b"\x01" + access.to_bytes()
