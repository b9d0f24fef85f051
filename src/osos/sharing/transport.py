"""How a delivery reaches the market operator: a file drop folder or an HTTPS POST.

``OSOS_DELIVERY_URL`` names it: ``file:///folder`` writes one JSON file (and its xlsx upload
template) per delivery; ``http(s)://…`` POSTs the JSON, retries bounded times on network errors
and 5xx/408/429, and keeps the receiver's acknowledgement. Tests plug in their own transport.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

import httpx

from osos.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    name: str  # a file stem that says what is inside, unique per delivery/correction
    content: bytes  # canonical JSON
    sha256: str
    xlsx: bytes | None = None


@dataclass(frozen=True)
class Receipt:
    ok: bool
    destination: str
    status: int | None = None
    answer: str = ""
    ack: str | None = None
    attempts: int = 1


class Transport(Protocol):
    def send(self, item: Outgoing) -> Receipt: ...

    def close(self) -> None:
        """Release what the transport holds open (its HTTP connections)."""


class FileDrop:
    """Writes ``<name>.json`` (and ``<name>.xlsx``) into a folder, atomically (write, rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def close(self) -> None:
        pass

    def send(self, item: Outgoing) -> Receipt:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for suffix, data in ((".xlsx", item.xlsx), (".json", item.content)):
                if data is None:
                    continue
                target = self.folder / f"{item.name}{suffix}"
                tmp = target.with_suffix(suffix + ".part")
                tmp.write_bytes(data)
                os.replace(tmp, target)
        except OSError as exc:
            return Receipt(ok=False, destination=str(self.folder), answer=f"{exc}")
        return Receipt(
            ok=True,
            destination=str(self.folder),
            answer="written",
            ack=f"{item.name}.json",
        )


RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class HttpPost:
    """POSTs the JSON; the receiver's 2xx answer is the acknowledgement (its ``ack``/``id``).

    One HTTP client for the transport's lifetime (kept-alive connections to the receiver);
    ``close()`` ends it. Retries sleep in the sender's thread, never inside a transaction.
    """

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 30.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ConfigError("HTTP delivery needs at least one attempt")
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=timeout_s)
        self.sleep = sleep

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def _post(self, client: httpx.Client, item: Outgoing) -> httpx.Response:
        return client.post(
            self.url,
            content=item.content,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Content-SHA256": item.sha256,
                "Idempotency-Key": item.name,
            },
        )

    def send(self, item: Outgoing) -> Receipt:
        answer = ""
        status: int | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._post(self.client, item)
            except httpx.HTTPError as exc:
                answer, status = f"{type(exc).__name__}: {exc}", None
            else:
                status, answer = response.status_code, response.text[:2000]
                if response.is_success:
                    return Receipt(True, self.url, status, answer, _ack(response), attempt)
                if status not in RETRYABLE:
                    return Receipt(False, self.url, status, answer, None, attempt)
            log.warning("delivery %s: attempt %d failed: %s", item.name, attempt, answer)
            if attempt < self.attempts:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        return Receipt(False, self.url, status, answer, None, self.attempts)


def _ack(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        for key in ("ack", "id", "receipt"):
            if body.get(key) is not None:
                return str(body[key])[:200]
    return response.headers.get("X-Ack") or None


def transport_for(
    url: str, *, attempts: int = 3, backoff_s: float = 1.0, timeout_s: float = 30.0
) -> Transport:
    """The transport ``OSOS_DELIVERY_URL`` names; a clear error when it names none."""
    if not url:
        raise ConfigError("OSOS_DELIVERY_URL is not set: give file:///folder or https://host/path")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if not parsed.path:
            raise ConfigError(f"OSOS_DELIVERY_URL {url!r} names no folder")
        return FileDrop(Path(unquote(parsed.path)))
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return HttpPost(url, attempts=attempts, backoff_s=backoff_s, timeout_s=timeout_s)
    raise ConfigError(f"OSOS_DELIVERY_URL {url!r}: use file:///folder or http(s)://host/path")
