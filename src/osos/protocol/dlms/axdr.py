"""A-XDR data (DLMS UA Blue Book, "Data" CHOICE): every type, decoded and encoded byte-exact.

A value is a :class:`Data`: its tag and a Python value (int, bool, bytes, str, tuple of Data,
:class:`~.dates.DateTime` …). Dates keep every raw field (0xFF "not specified", the
deviation, the clock status) and floats keep their raw bytes, so ``encode(decode(b)) == b``
for any canonical encoding. A compact array keeps its type description and decodes its
untagged contents with it.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Final, cast

from .dates import Date, DateTime, Time
from .errors import DecodeError
from .wire import Reader, encode_length

MAX_DEPTH: Final = 32  # nesting deeper than this is refused (no RecursionError)


class Tag(enum.IntEnum):
    NULL = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    FLOATING_POINT = 7
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DELTA_INTEGER = 28
    DELTA_LONG = 29
    DELTA_DOUBLE_LONG = 30
    DELTA_UNSIGNED = 31
    DELTA_LONG_UNSIGNED = 32
    DELTA_DOUBLE_LONG_UNSIGNED = 33
    DONT_CARE = 255


#: Integer tags: (size in bytes, signed).
INTEGERS: Final[dict[Tag, tuple[int, bool]]] = {
    Tag.INTEGER: (1, True),
    Tag.LONG: (2, True),
    Tag.DOUBLE_LONG: (4, True),
    Tag.LONG64: (8, True),
    Tag.UNSIGNED: (1, False),
    Tag.LONG_UNSIGNED: (2, False),
    Tag.DOUBLE_LONG_UNSIGNED: (4, False),
    Tag.LONG64_UNSIGNED: (8, False),
    Tag.ENUM: (1, False),
    Tag.BCD: (1, False),
    Tag.DELTA_INTEGER: (1, True),
    Tag.DELTA_LONG: (2, True),
    Tag.DELTA_DOUBLE_LONG: (4, True),
    Tag.DELTA_UNSIGNED: (1, False),
    Tag.DELTA_LONG_UNSIGNED: (2, False),
    Tag.DELTA_DOUBLE_LONG_UNSIGNED: (4, False),
}
FLOATS: Final[dict[Tag, str]] = {Tag.FLOATING_POINT: ">f", Tag.FLOAT32: ">f", Tag.FLOAT64: ">d"}
STRINGS: Final = (Tag.OCTET_STRING, Tag.VISIBLE_STRING, Tag.UTF8_STRING)
_TAGS: Final = {t.value: t for t in Tag}


@dataclass(frozen=True)
class BitString:
    """``bits`` significant bits, left-aligned in ``data`` (ceil(bits / 8) bytes)."""

    bits: int
    data: bytes

    def __repr__(self) -> str:
        text = "".join(f"{b:08b}" for b in self.data)[: self.bits]
        return f"BitString('{text}')"


@dataclass(frozen=True)
class TypeDesc:
    """A compact-array type description: a simple tag, an array (count, element) or a
    structure (fields)."""

    tag: Tag
    count: int = 0
    element: TypeDesc | None = None
    fields: tuple[TypeDesc, ...] = ()


@dataclass(frozen=True)
class CompactArray:
    desc: TypeDesc
    items: tuple[Data, ...]


DataValue = (
    None
    | bool
    | int
    | float
    | bytes
    | str
    | tuple["Data", ...]
    | BitString
    | DateTime
    | Date
    | Time
    | CompactArray
)


@dataclass(frozen=True)
class Data:
    """One A-XDR value. ``raw`` holds a float's exact bytes (NaN payloads survive)."""

    tag: Tag
    value: DataValue = None
    raw: bytes | None = field(default=None, compare=False, repr=False)

    # -- named constructors
    @classmethod
    def null(cls) -> Data:
        return cls(Tag.NULL)

    @classmethod
    def structure(cls, *items: Data) -> Data:
        return cls(Tag.STRUCTURE, tuple(items))

    @classmethod
    def array(cls, *items: Data) -> Data:
        return cls(Tag.ARRAY, tuple(items))

    @classmethod
    def octets(cls, value: bytes) -> Data:
        return cls(Tag.OCTET_STRING, bytes(value))

    @classmethod
    def visible(cls, value: str) -> Data:
        return cls(Tag.VISIBLE_STRING, value)

    @classmethod
    def integer(cls, tag: Tag, value: int) -> Data:
        return cls(tag, value)

    @classmethod
    def enum(cls, value: int) -> Data:
        return cls(Tag.ENUM, value)

    @classmethod
    def boolean(cls, value: bool) -> Data:
        return cls(Tag.BOOLEAN, value)

    @classmethod
    def date_time(cls, value: DateTime) -> Data:
        return cls(Tag.DATE_TIME, value)

    # -- typed access (raise DecodeError naming what was expected)
    @property
    def items(self) -> tuple[Data, ...]:
        if self.tag in (Tag.ARRAY, Tag.STRUCTURE):
            return cast(tuple[Data, ...], self.value)
        if self.tag is Tag.COMPACT_ARRAY:
            return cast(CompactArray, self.value).items
        raise DecodeError("COSEM value", 0, f"an array or structure, got {self.tag.name}")

    def as_int(self) -> int:
        if self.tag in INTEGERS:
            return cast(int, self.value)
        raise DecodeError("COSEM value", 0, f"an integer, got {self.tag.name}")

    def as_bytes(self) -> bytes:
        if self.tag is Tag.OCTET_STRING:
            return cast(bytes, self.value)
        raise DecodeError("COSEM value", 0, f"an octet-string, got {self.tag.name}")

    def as_datetime(self) -> DateTime | None:
        """A date-time tag, or an octet-string of 12 bytes (the usual COSEM clock form)."""
        if self.tag is Tag.DATE_TIME:
            return cast(DateTime, self.value)
        if self.tag is Tag.OCTET_STRING and len(cast(bytes, self.value)) == 12:
            return DateTime.from_bytes(cast(bytes, self.value))
        return None

    @property
    def is_number(self) -> bool:
        return self.tag in INTEGERS and self.tag not in (Tag.ENUM,)

    def to_python(self) -> object:
        """Plain Python (for JSON): lists for arrays and structures, the value otherwise."""
        if self.tag in (Tag.ARRAY, Tag.STRUCTURE, Tag.COMPACT_ARRAY):
            return [item.to_python() for item in self.items]
        return self.value

    def to_bytes(self) -> bytes:
        out = bytearray()
        _encode(self, out)
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "A-XDR data") -> Data:
        """Exactly one value filling ``data``."""
        reader = Reader(data, what)
        value = decode(reader)
        reader.done()
        return value


# ---------------------------------------------------------------- decoding


def decode(reader: Reader, depth: int = 0) -> Data:
    """One tagged value at the reader's position."""
    start = reader.pos
    code = reader.u8("a data tag")
    tag = _TAGS.get(code)
    if tag is None:
        raise reader.fail(f"a data tag (0x{code:02X} is none)", start)
    if tag in (Tag.ARRAY, Tag.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise reader.fail(f"nesting of at most {MAX_DEPTH}", start)
        count = reader.length(f"the number of {tag.name.lower()} elements")
        if count > reader.left:
            raise reader.fail(f"{count} elements ({reader.left} bytes left)", start + 1)
        return Data(tag, tuple(decode(reader, depth + 1) for _ in range(count)))
    if tag is Tag.COMPACT_ARRAY:
        desc = _decode_desc(reader, depth)
        body = reader.take(reader.length("the compact-array contents length"), "contents")
        inner = Reader(body, reader.what, 0, reader.base + reader.pos - len(body))
        items = []
        while not inner.at_end():
            items.append(decode_typed(inner, desc, depth + 1))
        return Data(tag, CompactArray(desc, tuple(items)))
    return decode_typed(reader, TypeDesc(tag), depth)


def decode_typed(reader: Reader, desc: TypeDesc, depth: int = 0) -> Data:
    """A value without its tag (compact-array contents, fixed-type fields)."""
    tag = desc.tag
    if tag in INTEGERS:
        size, signed = INTEGERS[tag]
        return Data(tag, int.from_bytes(reader.take(size, tag.name), "big", signed=signed))
    if tag in STRINGS:
        body = reader.take(reader.length(f"the {tag.name.lower()} length"), tag.name)
        return Data(tag, _string(reader, tag, body))
    if tag in (Tag.NULL, Tag.DONT_CARE):
        return Data(tag)
    if tag is Tag.BOOLEAN:
        return Data(tag, reader.u8("a boolean") != 0)
    if tag is Tag.BIT_STRING:
        bits = reader.length("the bit-string length")
        return Data(tag, BitString(bits, reader.take((bits + 7) // 8, "bit-string")))
    if tag in FLOATS:
        fmt = FLOATS[tag]
        raw = reader.take(struct.calcsize(fmt), tag.name)
        return Data(tag, struct.unpack(fmt, raw)[0], raw)
    if tag is Tag.DATE_TIME:
        return Data(tag, DateTime.from_bytes(reader.take(12, "date-time")))
    if tag is Tag.DATE:
        return Data(tag, Date.from_bytes(reader.take(5, "date")))
    if tag is Tag.TIME:
        return Data(tag, Time.from_bytes(reader.take(4, "time")))
    if depth >= MAX_DEPTH:
        raise reader.fail(f"nesting of at most {MAX_DEPTH}")
    if tag is Tag.ARRAY and desc.element is not None:
        return Data(
            tag, tuple(decode_typed(reader, desc.element, depth + 1) for _ in range(desc.count))
        )
    if tag is Tag.STRUCTURE:
        return Data(tag, tuple(decode_typed(reader, f, depth + 1) for f in desc.fields))
    raise reader.fail(f"a type a compact array can hold, not {tag.name}")


def _string(reader: Reader, tag: Tag, body: bytes) -> bytes | str:
    if tag is Tag.OCTET_STRING:
        return body
    if tag is Tag.VISIBLE_STRING:
        return body.decode("latin-1")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reader.fail("UTF-8 text", reader.pos - len(body) + exc.start) from None


def _decode_desc(reader: Reader, depth: int) -> TypeDesc:
    if depth >= MAX_DEPTH:
        raise reader.fail(f"type nesting of at most {MAX_DEPTH}")
    start = reader.pos
    code = reader.u8("a type description tag")
    tag = _TAGS.get(code)
    if tag is None or tag in (Tag.COMPACT_ARRAY,):
        raise reader.fail(f"a type description tag (0x{code:02X})", start)
    if tag is Tag.ARRAY:
        count = reader.uint(2, "the array element count")
        return TypeDesc(tag, count, _decode_desc(reader, depth + 1))
    if tag is Tag.STRUCTURE:
        n = reader.length("the structure field count")
        if n > reader.left:
            raise reader.fail(f"{n} field types ({reader.left} bytes left)", start + 1)
        return TypeDesc(tag, fields=tuple(_decode_desc(reader, depth + 1) for _ in range(n)))
    return TypeDesc(tag)


# ---------------------------------------------------------------- encoding


def _encode(item: Data, out: bytearray) -> None:
    out.append(item.tag)
    if item.tag in (Tag.ARRAY, Tag.STRUCTURE):
        items = cast(tuple[Data, ...], item.value)
        out += encode_length(len(items))
        for child in items:
            _encode(child, out)
    elif item.tag is Tag.COMPACT_ARRAY:
        compact = cast(CompactArray, item.value)
        _encode_desc(compact.desc, out)
        body = bytearray()
        for child in compact.items:
            _encode_untagged(child, compact.desc, body)
        out += encode_length(len(body)) + body
    else:
        _encode_untagged(item, TypeDesc(item.tag), out)


def _encode_untagged(item: Data, desc: TypeDesc, out: bytearray) -> None:
    tag = desc.tag
    value = item.value
    if tag in INTEGERS:
        size, signed = INTEGERS[tag]
        out += cast(int, value).to_bytes(size, "big", signed=signed)
    elif tag in STRINGS:
        body = value if isinstance(value, bytes) else _text_bytes(tag, cast(str, value))
        out += encode_length(len(body)) + body
    elif tag is Tag.BOOLEAN:
        out.append(1 if value else 0)
    elif tag is Tag.BIT_STRING:
        bits = cast(BitString, value)
        out += encode_length(bits.bits) + bits.data
    elif tag in FLOATS:
        out += item.raw if item.raw is not None else struct.pack(FLOATS[tag], value)
    elif tag in (Tag.DATE_TIME, Tag.DATE, Tag.TIME):
        out += cast(DateTime | Date | Time, value).to_bytes()
    elif tag is Tag.ARRAY and desc.element is not None:
        for child in cast(tuple[Data, ...], value):
            _encode_untagged(child, desc.element, out)
    elif tag is Tag.STRUCTURE:
        for child, sub in zip(cast(tuple[Data, ...], value), desc.fields, strict=True):
            _encode_untagged(child, sub, out)


def _text_bytes(tag: Tag, text: str) -> bytes:
    return text.encode("latin-1" if tag is Tag.VISIBLE_STRING else "utf-8")


def _encode_desc(desc: TypeDesc, out: bytearray) -> None:
    out.append(desc.tag)
    if desc.tag is Tag.ARRAY and desc.element is not None:
        out += desc.count.to_bytes(2, "big")
        _encode_desc(desc.element, out)
    elif desc.tag is Tag.STRUCTURE:
        out += encode_length(len(desc.fields))
        for sub in desc.fields:
            _encode_desc(sub, out)
