"""Files over HTTP: a table written by :mod:`osos.exports` (while the request's session is
open) and streamed to the client in chunks, with a name that says what is inside."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.responses import StreamingResponse

from osos.exports import Spooled, media_type

CHUNK = 1 << 16


def _headers(name: str, size: int) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(size),
        "Cache-Control": "no-store",
    }


def send(spooled: Spooled, fmt: str, name: str) -> StreamingResponse:
    """A written file as a streamed download (the file is closed once sent)."""
    return StreamingResponse(
        spooled.chunks(), media_type=media_type(fmt), headers=_headers(name, spooled.size)
    )


def _blocks(content: bytes) -> Iterator[bytes]:
    for k in range(0, len(content), CHUNK):
        yield content[k : k + CHUNK]


def send_stored(content: bytes, name: str, media: str) -> StreamingResponse:
    """A file kept in the database (a fulfilled paid request), streamed in chunks."""
    return StreamingResponse(
        _blocks(content), media_type=media, headers=_headers(name, len(content))
    )
