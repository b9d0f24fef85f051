"""Deadlines, limits and fees of the sharing layer: configuration with the source's defaults.

The source document ("Veri Paylaşılma Esasları") gives the deadlines; the exact legal text was
not checked, so every number here can be changed, and a few through ``OSOS_SHARING_*``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from decimal import Decimal

from osos.errors import ConfigError
from osos.timeutil import parse_local

# Reasons a request is outside the free plan (the fee report names them).
OTHER_PERIOD = "other_period"
OTHER_RESOLUTION = "other_resolution"
OUTSIDE_PORTFOLIO = "outside_portfolio"
UTILITY_METER = "utility_meter"

DEFAULT_FEES: dict[str, Decimal] = {
    OTHER_PERIOD: Decimal("150.00"),
    OTHER_RESOLUTION: Decimal("100.00"),
    OUTSIDE_PORTFOLIO: Decimal("250.00"),
    UTILITY_METER: Decimal("300.00"),
}
DEFAULT_JUSTIFICATIONS: dict[str, str] = {
    OTHER_PERIOD: "Plan dışı dönem: arşivden ek sorgu ve dosya hazırlama maliyeti",
    OTHER_RESOLUTION: "Plan dışı çözünürlük: ek hesaplama ve dosya hazırlama maliyeti",
    OUTSIDE_PORTFOLIO: "Portföy dışı sayaç: ek okuma ve doğrulama maliyeti",
    UTILITY_METER: "Su/gaz/ısı sayacı verisi: OSOS altyapı kullanım bedeli",
}


@dataclass(frozen=True)
class SharingConfig:
    # rule 1: balancing units, 15-minute values of each hour, due this long after the hour
    balancing_delay: dt.timedelta = dt.timedelta(hours=2)
    # rule 2: non-balancing generation, the day's 15-minute values, due after the local day
    generation_delay: dt.timedelta = dt.timedelta(hours=2)
    # rule 3: settlement-period values of the month, due by the calendar's last day (end of
    # that local day); without a calendar row, this day of the next month
    settlement_default_day: int = 11
    settlement_minutes: int = 60
    # an alert when a delivery's data is not complete this long before its deadline
    alert_margin: dt.timedelta = dt.timedelta(minutes=30)
    # how far back run_due plans obligations it has not seen (a head-end that was down)
    lookback: dt.timedelta = dt.timedelta(days=3)
    # go-live: periods that start before this instant were never OSOS's to deliver (no data was
    # read then), so they are not planned; None plans every period the look-back reaches
    obligations_from: dt.datetime | None = None
    # a delivery still missing this long after its deadline is no longer retried each run
    # (it stays missing in the ledger; ``osos deliver run`` after a back-fill still finds it
    # when the window is widened)
    give_up_after: dt.timedelta = dt.timedelta(days=40)
    # how long after delivery a changed estimate still makes a correction
    correction_window: dt.timedelta = dt.timedelta(days=62)
    # HTTP transport
    http_attempts: int = 3
    http_backoff_s: float = 1.0
    http_timeout_s: float = 30.0
    # API rate limit, per token: a bucket of ``rate_burst`` refilled at ``rate_per_minute``
    rate_per_minute: int = 120
    rate_burst: int = 30
    fees: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_FEES))
    currency: str = "TRY"

    def fee(self, reason: str) -> Decimal:
        try:
            return self.fees[reason]
        except KeyError:
            raise ConfigError(f"no fee configured for reason {reason!r}") from None


def _minutes(name: str) -> dt.timedelta | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.timedelta(minutes=int(text))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of minutes, got {text!r}") from None


def load_sharing_config() -> SharingConfig:
    """Defaults, with the optional ``OSOS_SHARING_*`` environment overrides applied."""
    config = SharingConfig()
    overrides: dict[str, object] = {}
    for env, attr in (
        ("OSOS_SHARING_BALANCING_DELAY_MIN", "balancing_delay"),
        ("OSOS_SHARING_GENERATION_DELAY_MIN", "generation_delay"),
        ("OSOS_SHARING_ALERT_MARGIN_MIN", "alert_margin"),
    ):
        value = _minutes(env)
        if value is not None:
            overrides[attr] = value
    day = os.environ.get("OSOS_SHARING_SETTLEMENT_DAY", "").strip()
    if day:
        if not day.isdigit() or not 1 <= int(day) <= 28:
            raise ConfigError(f"OSOS_SHARING_SETTLEMENT_DAY must be 1..28, got {day!r}")
        overrides["settlement_default_day"] = int(day)
    start = os.environ.get("OSOS_SHARING_OBLIGATIONS_FROM", "").strip()
    if start:
        try:
            overrides["obligations_from"] = parse_local(start)
        except ValueError as exc:
            raise ConfigError(f"OSOS_SHARING_OBLIGATIONS_FROM: {exc}") from None
    rate = os.environ.get("OSOS_API_RATE_PER_MINUTE", "").strip()
    if rate:
        if not rate.isdigit() or int(rate) < 1:
            raise ConfigError(f"OSOS_API_RATE_PER_MINUTE must be a positive integer, got {rate!r}")
        overrides["rate_per_minute"] = int(rate)
    return replace(config, **overrides)  # type: ignore[arg-type]
