"""The dial-in port is open to anyone who can reach it (issue 12 item 12): whatever arrives on
it, the listener refuses it with its own error or hands over a printable serial, and it keeps
accepting the next caller."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from osos.transport import DialInListener, Transport
from osos.transport.base import GreetingRefused
from osos.transport.tcp import GREETING_MAX, GREETING_PREFIX, read_greeting

GREETINGS = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=120).map(lambda b: GREETING_PREFIX + b),
    st.binary(max_size=120).map(lambda b: GREETING_PREFIX + b + b"\r\n"),
    st.text(max_size=40).map(lambda t: GREETING_PREFIX + t.encode("utf-8", "replace") + b"\n"),
)


def _greet(data: bytes) -> str | GreetingRefused:
    async def run() -> str | GreetingRefused:
        reader = asyncio.StreamReader(limit=GREETING_MAX * 2)
        reader.feed_data(data)
        reader.feed_eof()
        try:
            return await read_greeting(reader, timeout=1.0)
        except GreetingRefused as exc:
            return exc

    return asyncio.run(run())


@settings(max_examples=400, deadline=None)
@given(GREETINGS)
def test_a_greeting_is_a_printable_serial_or_a_refusal(data: bytes) -> None:
    got = _greet(data)
    if isinstance(got, GreetingRefused):
        assert str(got)  # says what was wrong
        return
    line = data[: data.index(b"\n") + 1]
    assert line.startswith(GREETING_PREFIX) and len(line) <= GREETING_MAX
    assert got and got.isprintable() and got == got.strip()


def _hostile(rng: random.Random) -> bytes:
    """One caller's bytes: noise, a broken greeting, an over-long line, a fake wrapper frame."""
    kind = rng.randrange(5)
    noise = rng.randbytes(rng.randrange(1, 200))
    if kind == 0:
        return noise
    if kind == 1:
        return GREETING_PREFIX + noise
    if kind == 2:
        return GREETING_PREFIX + b"A" * (GREETING_MAX + rng.randrange(1, 5000)) + b"\r\n"
    if kind == 3:
        return b"\x00\x01" + noise  # looks like a DLMS push
    return GREETING_PREFIX + bytes(rng.choice(b"\x00\x07\x1b\x7f\r ") for _ in range(8)) + b"\n"


async def test_the_listener_survives_hostile_callers_and_serves_the_next() -> None:
    served: list[str] = []
    pushed: list[bytes] = []

    async def handler(serial: str, link: Transport) -> None:
        served.append(serial)

    async def push(peer: str, data: bytes) -> None:
        pushed.append(data)

    rng = random.Random(12)
    callers = [_hostile(rng) for _ in range(150)]
    async with DialInListener(
        "127.0.0.1", 0, handler, greeting_timeout=0.5, push_handler=push
    ) as listener:
        for data in callers:
            _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(data)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"ID:30000001\r\n")
        await writer.drain()
        for _ in range(500):  # tiny waits until the genuine caller has been handed over
            if "30000001" in served:
                break
            await asyncio.sleep(0.01)
        writer.close()
    assert served[-1] == "30000001"
    assert all(s and s.isprintable() for s in served)
    assert all(p[:1] in (b"\x00", b"\x7e") for p in pushed)
