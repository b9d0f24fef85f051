"""Links to meters: the transport interface, asyncio TCP dial-out and dial-in, a mock."""

from osos.transport.base import (
    ConnectFailed,
    ConnectionClosed,
    ReceiveTimeout,
    SendTimeout,
    Transport,
    TransportError,
)
from osos.transport.mock import MockTransport
from osos.transport.tcp import DialInListener, StreamTransport, TcpTransport, install_uvloop

__all__ = [
    "ConnectFailed",
    "ConnectionClosed",
    "DialInListener",
    "MockTransport",
    "ReceiveTimeout",
    "SendTimeout",
    "StreamTransport",
    "TcpTransport",
    "Transport",
    "TransportError",
    "install_uvloop",
]
