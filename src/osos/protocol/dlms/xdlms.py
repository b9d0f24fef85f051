"""xDLMS service APDUs (Green Book 9.5, A-XDR): GET, SET, ACTION, DataNotification,
InitiateRequest/Response, ExceptionResponse and confirmedServiceError — each a frozen value
with ``to_bytes``/``from_bytes``.

``invoke`` is the invoke-id-and-priority byte (0xC1: high priority, confirmed, id 1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from .axdr import Data, decode
from .cosem import AttributeDescriptor, MethodDescriptor, SelectiveAccess, read_access, write_access
from .dates import DateTime
from .errors import DataAccessError
from .wire import Reader, encode_length

INVOKE: Final = 0xC1


class DataAccessResult(enum.IntEnum):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


def result_name(code: int) -> str:
    try:
        return DataAccessResult(code).name.lower().replace("_", "-")
    except ValueError:
        return f"result {code}"


@dataclass(frozen=True)
class Result:
    """A get-data-result: a value, or the data-access-result that replaced it."""

    data: Data | None = None
    error: int = 0

    def to_bytes(self) -> bytes:
        if self.data is not None:
            return b"\x00" + self.data.to_bytes()
        return bytes((1, self.error))

    @classmethod
    def read(cls, r: Reader) -> Result:
        choice = r.u8("a result choice (0 data, 1 data-access-result)")
        if choice == 0:
            return cls(decode(r))
        if choice == 1:
            return cls(None, r.u8("a data-access-result"))
        raise r.fail(f"result choice 0 or 1, got {choice}", r.pos - 1)


def _start(data: bytes, tag: int, name: str) -> tuple[Reader, int, int]:
    r = Reader(data, name)
    r.expect(tag, f"the {name} tag")
    choice = r.u8(f"the {name} choice")
    return r, choice, r.u8("the invoke-id-and-priority")


# ---------------------------------------------------------------- GET


@dataclass(frozen=True)
class GetRequest:
    """GET.request: normal (one attribute), next (block number) or with-list."""

    items: tuple[tuple[AttributeDescriptor, SelectiveAccess | None], ...] = ()
    invoke: int = INVOKE
    next_block: int | None = None
    with_list: bool = False

    @classmethod
    def normal(
        cls, item: AttributeDescriptor, access: SelectiveAccess | None = None, invoke: int = INVOKE
    ) -> GetRequest:
        return cls(((item, access),), invoke)

    @classmethod
    def next(cls, block: int, invoke: int = INVOKE) -> GetRequest:
        return cls((), invoke, block)

    def to_bytes(self) -> bytes:
        if self.next_block is not None:
            return bytes((0xC0, 2, self.invoke)) + self.next_block.to_bytes(4, "big")
        if self.with_list:
            body = b"".join(d.to_bytes() + write_access(a) for d, a in self.items)
            return bytes((0xC0, 3, self.invoke)) + encode_length(len(self.items)) + body
        item, access = self.items[0]
        return bytes((0xC0, 1, self.invoke)) + item.to_bytes() + write_access(access)

    @classmethod
    def from_bytes(cls, data: bytes) -> GetRequest:
        r, choice, invoke = _start(data, 0xC0, "GET.request")
        if choice == 1:
            out = cls.normal(AttributeDescriptor.read(r), read_access(r), invoke)
        elif choice == 2:
            out = cls.next(r.uint(4, "the block number"), invoke)
        elif choice == 3:
            count = r.length("the attribute count")
            items = tuple((AttributeDescriptor.read(r), read_access(r)) for _ in range(count))
            out = cls(items, invoke, with_list=True)
        else:
            raise r.fail(f"GET.request choice 1, 2 or 3, got {choice}", 1)
        r.done()
        return out


@dataclass(frozen=True)
class GetResponse:
    """GET.response: normal (one result), with-datablock (``block``, ``last``, raw bytes or
    an error) or with-list (several results)."""

    results: tuple[Result, ...] = ()
    invoke: int = INVOKE
    block: int | None = None
    last: bool = True
    raw: bytes = b""
    with_list: bool = False

    @property
    def result(self) -> Result:
        return self.results[0]

    def to_bytes(self) -> bytes:
        if self.block is not None:
            head = bytes((0xC4, 2, self.invoke, 1 if self.last else 0))
            head += self.block.to_bytes(4, "big")
            if self.results and self.results[0].data is None:
                return head + bytes((1, self.results[0].error))
            return head + b"\x00" + encode_length(len(self.raw)) + self.raw
        if self.with_list:
            body = b"".join(res.to_bytes() for res in self.results)
            return bytes((0xC4, 3, self.invoke)) + encode_length(len(self.results)) + body
        return bytes((0xC4, 1, self.invoke)) + self.results[0].to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> GetResponse:
        r, choice, invoke = _start(data, 0xC4, "GET.response")
        if choice == 1:
            out = cls((Result.read(r),), invoke)
        elif choice == 2:
            last = r.u8("the last-block flag") != 0
            block = r.uint(4, "the block number")
            kind = r.u8("the raw-data choice")
            if kind == 0:
                raw = r.take(r.length("the raw-data length"), "raw data")
                out = cls((), invoke, block, last, raw)
            elif kind == 1:
                out = cls((Result(None, r.u8("a data-access-result")),), invoke, block, last)
            else:
                raise r.fail(f"raw-data choice 0 or 1, got {kind}", r.pos - 1)
        elif choice == 3:
            count = r.length("the result count")
            out = cls(tuple(Result.read(r) for _ in range(count)), invoke, with_list=True)
        else:
            raise r.fail(f"GET.response choice 1, 2 or 3, got {choice}", 1)
        r.done()
        return out


# ---------------------------------------------------------------- SET and ACTION


@dataclass(frozen=True)
class SetRequest:
    item: AttributeDescriptor
    value: Data
    access: SelectiveAccess | None = None
    invoke: int = INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((0xC1, 1, self.invoke)) + self.item.to_bytes() + write_access(self.access)
        return head + self.value.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> SetRequest:
        r, choice, invoke = _start(data, 0xC1, "SET.request")
        if choice != 1:
            raise r.fail(f"SET.request-normal (1), got {choice}", 1)
        item = AttributeDescriptor.read(r)
        access = read_access(r)
        out = cls(item, decode(r), access, invoke)
        r.done()
        return out


@dataclass(frozen=True)
class SetResponse:
    result: int = 0
    invoke: int = INVOKE

    def to_bytes(self) -> bytes:
        return bytes((0xC5, 1, self.invoke, self.result))

    @classmethod
    def from_bytes(cls, data: bytes) -> SetResponse:
        r, choice, invoke = _start(data, 0xC5, "SET.response")
        if choice != 1:
            raise r.fail(f"SET.response-normal (1), got {choice}", 1)
        out = cls(r.u8("the result"), invoke)
        r.done()
        return out


@dataclass(frozen=True)
class ActionRequest:
    method: MethodDescriptor
    parameters: Data | None = None
    invoke: int = INVOKE

    def to_bytes(self) -> bytes:
        params = b"\x00" if self.parameters is None else b"\x01" + self.parameters.to_bytes()
        return bytes((0xC3, 1, self.invoke)) + self.method.to_bytes() + params

    @classmethod
    def from_bytes(cls, data: bytes) -> ActionRequest:
        r, choice, invoke = _start(data, 0xC3, "ACTION.request")
        if choice != 1:
            raise r.fail(f"ACTION.request-normal (1), got {choice}", 1)
        method = MethodDescriptor.read(r)
        present = r.u8("the parameters flag")
        out = cls(method, decode(r) if present else None, invoke)
        r.done()
        return out


@dataclass(frozen=True)
class ActionResponse:
    result: int = 0
    returned: Result | None = None
    invoke: int = INVOKE

    def to_bytes(self) -> bytes:
        body = b"\x00" if self.returned is None else b"\x01" + self.returned.to_bytes()
        return bytes((0xC7, 1, self.invoke, self.result)) + body

    @classmethod
    def from_bytes(cls, data: bytes) -> ActionResponse:
        r, choice, invoke = _start(data, 0xC7, "ACTION.response")
        if choice != 1:
            raise r.fail(f"ACTION.response-normal (1), got {choice}", 1)
        result = r.u8("the action result")
        present = r.u8("the return-parameters flag") if not r.at_end() else 0
        out = cls(result, Result.read(r) if present else None, invoke)
        r.done()
        return out


# ---------------------------------------------------------------- push and errors


class DateTimeForm(enum.Enum):
    ABSENT = "absent"  # 00
    PLAIN = "plain"  # 0C + 12 bytes (the standard form)
    TAGGED = "tagged"  # 09 0C + 12 bytes (Kaifa, Kamstrup 2017: a Data tag in front)


@dataclass(frozen=True)
class DataNotification:
    invoke: int
    body: Data
    date_time: DateTime | None = None
    form: DateTimeForm = DateTimeForm.PLAIN

    def to_bytes(self) -> bytes:
        head = b"\x0f" + self.invoke.to_bytes(4, "big")
        if self.date_time is None:
            stamp = b"\x00"
        else:
            stamp = (b"\x09" if self.form is DateTimeForm.TAGGED else b"") + b"\x0c"
            stamp += self.date_time.to_bytes()
        return head + stamp + self.body.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DataNotification:
        r = Reader(data, "DataNotification")
        r.expect(0x0F, "the DataNotification tag")
        invoke = r.uint(4, "the long-invoke-id-and-priority")
        size = r.u8("the date-time length (0 or 12)")
        form = DateTimeForm.PLAIN
        if size == 0x09 and r.peek("the date-time length") == 0x0C:
            size, form = r.u8(), DateTimeForm.TAGGED
        stamp: DateTime | None = None
        if size == 12:
            stamp = DateTime.from_bytes(r.take(12, "the date-time"))
        elif size == 0:
            form = DateTimeForm.ABSENT
        else:
            raise r.fail(f"a date-time of 0 or 12 bytes, got {size}", r.pos - 1)
        out = cls(invoke, decode(r), stamp, form)
        r.done()
        return out


@dataclass(frozen=True)
class ExceptionResponse:
    """0xD8: state-error (1 service-not-allowed, 2 service-unknown) and service-error
    (1 operation-not-possible, 2 service-not-supported, 3 other-reason, 4 pdu-too-long,
    5 deciphering-error, 6 invocation-counter-error)."""

    state_error: int
    service_error: int
    extra: bytes = b""

    def to_bytes(self) -> bytes:
        return bytes((0xD8, self.state_error, self.service_error)) + self.extra

    @classmethod
    def from_bytes(cls, data: bytes) -> ExceptionResponse:
        r = Reader(data, "ExceptionResponse")
        r.expect(0xD8, "the ExceptionResponse tag")
        return cls(r.u8("the state-error"), r.u8("the service-error"), r.rest())


def expect_result(result: Result, what: str) -> Data:
    """The value of a result, or DataAccessError naming ``what`` (class/OBIS/attribute)."""
    if result.data is None:
        raise DataAccessError(result_name(result.error), what, result.error)
    return result.data
