"""Which address a request came from, behind reverse proxies that are trusted by configuration.

``X-Forwarded-For`` is a list anyone can write; only the entries appended by proxies we trust
mean anything. Walking it from the right, every address that is a trusted proxy is skipped;
the first that is not is the client. From a peer that is not a trusted proxy the header is
ignored (issue 12, item 6: a spoofed header reset the login throttle and went into the audit).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import Request

from osos.settings_web import Network
from osos.web.dbsession import runtime_of


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def forwarded_for(peer: str, headers: Sequence[str], proxies: Sequence[Network]) -> str:
    """The client's address given the peer, the ``X-Forwarded-For`` headers and the proxies."""
    if not proxies or not _trusted(peer, proxies):
        return peer
    chain = [a.strip() for h in headers for a in h.split(",") if a.strip()]
    for address in reversed(chain):
        if not _trusted(address, proxies):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer  # garbage from the proxy's own client: the proxy is what we know
    return chain[0] if chain else peer


def client_ip(request: Request) -> str:
    """The caller's address: the peer's, or the one a trusted proxy forwarded
    (``OSOS_TRUSTED_PROXIES``; anyone else's ``X-Forwarded-For`` is ignored)."""
    return forwarded_for(
        request.client.host if request.client else "unknown",
        request.headers.getlist("x-forwarded-for"),
        runtime_of(request).settings.web.trusted_proxies,
    )
