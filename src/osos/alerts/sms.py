"""The SMS interface behind ``OSOS_SMS_URL``: a protocol, a logging sender, an HTTP sender.

Without a URL the text is only logged (and the send is recorded), so a demo needs no gateway;
with one, each message is POSTed as JSON ``{"to": …, "text": …}`` (the gateway's adapter).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the number ``to``; raises OSError when it could not."""


class LoggingSms:
    """Logs every message (no gateway configured); ``sent`` keeps them for tests and demos."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))
        log.info("SMS to %s: %s", to, text)


class HttpSms:
    """POSTs ``{"to", "text"}`` as JSON to the gateway; a non-2xx answer is an OSError."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            if not 200 <= answer.status < 300:
                raise OSError(f"SMS gateway answered {answer.status}")


def sms_sender(url: str) -> SmsSender:
    """The sender ``OSOS_SMS_URL`` names (http/https), else the logging one."""
    if url.startswith(("http://", "https://")):
        return HttpSms(url)
    return LoggingSms()
