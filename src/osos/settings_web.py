"""The web process's settings sections (read by :func:`osos.settings.load_settings`, which is
the only reader of the environment): logins, abuse quotas, proxies, sizes and capacity.

Capacity is one number on purpose: ``threads`` request handlers run at once, each holding at
most one database connection, so the connection pool is sized from it (``db_pool``, never
smaller) and a request beyond it waits at most ``queue_wait_s`` for a free handler, then is
answered 503 with ``Retry-After`` — overload is shed fast instead of queueing into pool
time-outs (issue 12, item 2).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from osos.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class LoginLimits:
    """Throttling and session lifetime of the panel's logins. No hard lock-out: failures of
    one login from one address make that pair wait, longer after each failure, so an attacker
    elsewhere cannot lock a customer out."""

    max_failures: int = 5  # failures of a login from one address before each attempt waits
    lock: dt.timedelta = dt.timedelta(minutes=15)  # the longest wait (and how long failures count)
    ip_max_failures: int = 30  # failed logins from one address within ip_window: throttled
    ip_window: dt.timedelta = dt.timedelta(minutes=15)
    session_absolute: dt.timedelta = dt.timedelta(hours=12)
    delay: dt.timedelta = dt.timedelta(seconds=2)  # the first wait; it doubles per failure


@dataclass(frozen=True)
class AbuseLimits:
    """What one address may ask of the anonymous forms per day (password resets, applications
    and their uploaded documents)."""

    resets_per_hour: int = 5  # per address, and per login
    applications_per_day: int = 5  # per address
    uploads_per_day: int = 20  # documents per address
    upload_bytes_per_day: int = 20 * 2**20  # their total size per address


@dataclass(frozen=True)
class WebSettings:
    session_max_age_s: int = 30 * 60  # idle expiry of a panel session
    login: LoginLimits = field(default_factory=LoginLimits)
    abuse: AbuseLimits = field(default_factory=AbuseLimits)
    # X-Forwarded-For is believed only from these addresses (default: from nobody)
    trusted_proxies: tuple[Network, ...] = ()
    body_max_bytes: int = 60 * 2**20  # any request body, chunked or not
    import_max_bytes: int = 50 * 2**20  # one back-office import file
    threads: int = 16  # request handlers at once (each holds ≤ 1 database connection)
    db_pool: int = 0  # connections of the web process's pool; 0: threads + 2
    queue_wait_s: float = 2.0  # a request waits this long for a handler, then 503

    @property
    def pool_size(self) -> int:
        return max(self.db_pool, self.threads + 2)


def parse_proxies(text: str) -> tuple[Network, ...]:
    """``OSOS_TRUSTED_PROXIES``: addresses or networks, comma-separated (``10.0.0.5,10.1.0.0/16``)
    — the reverse proxies whose ``X-Forwarded-For`` is believed."""
    try:
        return tuple(ipaddress.ip_network(p.strip()) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise InvalidInput(f"not an address or network: {exc}") from None
