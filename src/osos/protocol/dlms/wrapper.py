"""The DLMS/COSEM IP wrapper (IEC 62056-47): ``version (2) | source wPort (2) | destination
wPort (2) | length (2) | APDU``, over TCP port 4059 by convention, no LLC bytes.

The wPort is the SAP: 16 the public client, 1 the management client, 1 the management
logical device of the meter. :class:`WrapperBuffer` cuts a TCP stream into frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from .errors import DecodeError
from .wire import Reader, hexs

VERSION: Final = 1
HEADER: Final = 8
DEFAULT_PORT: Final = 4059


@dataclass(frozen=True)
class WrapperFrame:
    source: int
    destination: int
    payload: bytes
    version: int = VERSION

    def to_bytes(self) -> bytes:
        if len(self.payload) > 0xFFFF:
            raise DecodeError("wrapper frame", 6, "a payload of at most 65535 bytes")
        return (
            self.version.to_bytes(2, "big")
            + self.source.to_bytes(2, "big")
            + self.destination.to_bytes(2, "big")
            + len(self.payload).to_bytes(2, "big")
            + self.payload
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> WrapperFrame:
        r = Reader(data, "wrapper frame")
        version = r.uint(2, "the wrapper version")
        if version != VERSION:
            raise r.fail(f"wrapper version 1, got {version}", 0)
        source = r.uint(2, "the source wPort")
        destination = r.uint(2, "the destination wPort")
        length = r.uint(2, "the length")
        payload = r.take(length, "the APDU")
        r.done()
        return cls(source, destination, payload, version)

    def __repr__(self) -> str:
        more = "…" if len(self.payload) > 24 else ""
        return (
            f"WrapperFrame({self.source}->{self.destination}, {len(self.payload)} B: "
            f"{hexs(self.payload[:24])}{more})"
        )


class WrapperBuffer:
    """Collects TCP bytes; yields whole wrapper frames. A header with another version is no
    wrapper stream at all: it raises (resynchronising would only guess)."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._data += chunk

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def frames(self) -> Iterator[WrapperFrame]:
        data = self._data
        while len(data) >= HEADER:
            if data[0] != 0 or data[1] != VERSION:
                version = int.from_bytes(data[:2], "big")
                data.clear()
                raise DecodeError("wrapper stream", 0, f"wrapper version 1, got {version}")
            length = int.from_bytes(data[6:8], "big")
            if len(data) < HEADER + length:
                return
            frame = bytes(data[: HEADER + length])
            del data[: HEADER + length]
            yield WrapperFrame.from_bytes(frame)
