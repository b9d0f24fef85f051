"""Files over HTTP: a table written by :mod:`osos.exports` and streamed to the client in
chunks, with a name that says what is inside: either written while the request's session is
open and sent from a spooled file (:func:`send`), or made chunk by chunk as it is sent from
rows already read (:func:`stream`: no file, no length known in advance)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.responses import StreamingResponse

from osos.exports import Spooled, media_type

CHUNK = 1 << 16


def _headers(name: str, size: int | None) -> dict[str, str]:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return headers if size is None else {**headers, "Content-Length": str(size)}


def send(spooled: Spooled, fmt: str, name: str) -> StreamingResponse:
    """A written file as a streamed download (the file is closed once sent)."""
    return StreamingResponse(
        spooled.chunks(), media_type=media_type(fmt), headers=_headers(name, spooled.size)
    )


def stream(chunks: Iterable[bytes], fmt: str, name: str) -> StreamingResponse:
    """A file made while it is sent (each chunk goes out as it is made; chunked encoding)."""
    return StreamingResponse(iter(chunks), media_type=media_type(fmt), headers=_headers(name, None))


def _blocks(content: bytes) -> Iterator[bytes]:
    for k in range(0, len(content), CHUNK):
        yield content[k : k + CHUNK]


def send_stored(content: bytes, name: str, media: str) -> StreamingResponse:
    """A file kept in the database (a fulfilled paid request), streamed in chunks."""
    return StreamingResponse(
        _blocks(content), media_type=media, headers=_headers(name, len(content))
    )
