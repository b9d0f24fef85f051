"""The transports move bytes, count them, bound every wait, and report the peer."""

from __future__ import annotations

import asyncio

import pytest

from osos.transport import (
    ConnectFailed,
    ConnectionClosed,
    DialInListener,
    MockTransport,
    ReceiveTimeout,
    SendTimeout,
    TcpTransport,
    Transport,
)


async def _echo_server() -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(100)
        writer.write(data.upper())
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_tcp_dial_out_counts_bytes_and_sees_close() -> None:
    server = await _echo_server()
    port = server.sockets[0].getsockname()[1]
    link = TcpTransport("127.0.0.1", port)
    async with server, link:
        await link.open(timeout=2)
        await link.send(b"/?!\r\n")
        data = b""
        while len(data) < 5:
            data += await link.receive(inter_byte_timeout=2)
        assert data == b"/?!\r\n".upper()
        with pytest.raises(ConnectionClosed):
            await link.receive(inter_byte_timeout=2)
    assert (link.bytes_sent, link.bytes_received) == (5, 5)
    assert link.transcript.startswith(b">/?!")


async def test_tcp_refused_is_connect_failed() -> None:
    server = await _echo_server()
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectFailed, match=f"127.0.0.1:{port}"):
        await TcpTransport("127.0.0.1", port).open(timeout=2)


async def test_receive_is_bounded_by_the_deadline() -> None:
    link = MockTransport(lambda _data: b"")
    await link.open(timeout=1)
    loop = asyncio.get_running_loop()
    with pytest.raises(ReceiveTimeout):
        await link.receive(inter_byte_timeout=30, deadline=loop.time() + 0.01)
    with pytest.raises(ReceiveTimeout, match="deadline passed"):
        await link.receive(inter_byte_timeout=30, deadline=loop.time() - 1)


async def test_dial_in_greeting_hands_the_link_over() -> None:
    seen: list[tuple[str, bytes]] = []

    async def handler(serial: str, link: Transport) -> None:
        await link.send(b"/?!\r\n")
        seen.append((serial, await link.receive(inter_byte_timeout=2)))

    async with DialInListener("127.0.0.1", 0, handler, greeting_timeout=2) as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"ID:12345678\r\n")
        assert await reader.readexactly(5) == b"/?!\r\n"
        writer.write(b"/XYZ5FAKE\r\n")
        await writer.drain()
        assert await reader.read() == b""  # the listener closes after the session
        writer.close()
        # garbage instead of a greeting is refused without calling the handler
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"HELLO\r\n")
        assert await reader.read() == b""
        writer.close()
    assert seen == [("12345678", b"/XYZ5FAKE\r\n")]


async def test_send_is_bounded_and_a_broken_line_is_named() -> None:
    class Stuck(MockTransport):
        async def _write(self, data: bytes) -> None:
            await asyncio.Event().wait()  # the other side never reads

    class Broken(MockTransport):
        async def _write(self, data: bytes) -> None:
            raise ConnectionResetError("reset by peer")

    stuck = Stuck(lambda _data: b"", peer="stuck")
    stuck.write_timeout = 0.01
    with pytest.raises(SendTimeout, match="stuck: the line took no data"):
        await stuck.send(b"/?!\r\n")
    with pytest.raises(ConnectionClosed, match="reset by peer"):
        await Broken(lambda _data: b"").send(b"/?!\r\n")


@pytest.mark.parametrize(
    ("greeting", "reason"),
    [
        (b"ID:" + b"9" * (96 * 1024) + b"\r\n", "no end of line"),  # beyond the stream's limit
        (b"ID:" + b"9" * 200 + b"\r\n", "not a greeting line"),  # longer than a greeting
        (b"ID:\r\n", "without a serial"),
        (b"ID:123", "the line closed"),  # hung up mid-greeting
    ],
)
async def test_a_bad_greeting_is_refused_by_name(
    greeting: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No greeting, however long or cut, reaches the handler or escapes as an asyncio error."""
    called: list[str] = []
    loop = asyncio.get_running_loop()
    crashes: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: crashes.append(context))

    async def handler(serial: str, link: Transport) -> None:
        called.append(serial)

    async with DialInListener("127.0.0.1", 0, handler, greeting_timeout=2) as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(greeting)
        await writer.drain()
        if not greeting.endswith(b"\n"):
            writer.write_eof()
        assert await reader.read() == b""  # refused: the listener hangs up
        writer.close()
    assert called == [] and crashes == []
    assert any(reason in r.getMessage() for r in caplog.records), caplog.text
