"""Every setting of osos, in one object read once from the environment (``OSOS_*``).

:func:`load_settings` is the only place that reads ``os.environ``: the composition root calls it
once and passes the sections down, so a module's behaviour never depends on when it looked.
Nothing is required to start: the defaults give an embedded SQLite database under
``OSOS_HOME``. A malformed value is a :class:`~osos.errors.ConfigError` naming its variable,
never a silent default; generated secrets are refused when ``OSOS_ENV=production``.

The numbers are configuration with the source document's defaults, not law: the legal texts
were not checked (see ``docs/design.md``).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from osos.domain import FeeReason
from osos.errors import ConfigError, InvalidInput
from osos.sections import AlertSettings as AlertSettings
from osos.sections import LossLimits as LossLimits
from osos.sections import MailSettings as MailSettings
from osos.sections import ReactiveLimits as ReactiveLimits
from osos.sections import ScopeSettings as ScopeSettings
from osos.sections import ValidationLimits as ValidationLimits
from osos.settings_web import AbuseLimits as AbuseLimits
from osos.settings_web import LoginLimits as LoginLimits
from osos.settings_web import WebSettings as WebSettings
from osos.settings_web import parse_proxies
from osos.timeutil import parse_local

T = TypeVar("T")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


DEFAULT_FEES: dict[FeeReason, Decimal] = {
    FeeReason.OTHER_PERIOD: Decimal("150.00"),
    FeeReason.OTHER_RESOLUTION: Decimal("100.00"),
    FeeReason.OUTSIDE_PORTFOLIO: Decimal("250.00"),
    FeeReason.UTILITY_METER: Decimal("300.00"),
}


@dataclass(frozen=True)
class SharingConfig:
    """Deadlines, limits and fees of the deliveries to the market operator and of the API."""

    # where deliveries go: file:///folder or https://… (empty: nowhere, they wait)
    delivery_url: str = ""
    # rule 1: balancing units, 15-minute values of each hour, due this long after the hour
    balancing_delay: dt.timedelta = dt.timedelta(hours=2)
    # rule 2: non-balancing generation, the day's 15-minute values, due after the local day
    generation_delay: dt.timedelta = dt.timedelta(hours=2)
    # rule 3: settlement-period values of the month, due by the calendar's last day (end of
    # that local day); without a calendar row, this day of the next month
    settlement_default_day: int = 11
    # an alert when a delivery's data is not complete this long before its deadline
    alert_margin: dt.timedelta = dt.timedelta(minutes=30)
    # this long before the deadline, missing intervals are estimated (flagged) so the delivery
    # goes out on time; the actual read replaces them later with a correction. None: never
    estimate_before: dt.timedelta | None = dt.timedelta(minutes=30)
    # how far back planning looks for obligations it has not seen (a head-end that was down)
    lookback: dt.timedelta = dt.timedelta(days=3)
    # go-live: periods that start before this instant were never OSOS's to deliver (no data was
    # read then), so they are not planned; None plans every period the look-back reaches
    obligations_from: dt.datetime | None = None
    # a delivery still missing this long after its deadline is no longer retried each run
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
    fees: dict[FeeReason, Decimal] = field(default_factory=lambda: dict(DEFAULT_FEES))
    currency: str = "TRY"

    def fee(self, reason: str) -> Decimal:
        try:
            return self.fees[FeeReason(reason)]
        except (KeyError, ValueError):
            raise ConfigError(f"no fee configured for reason {reason!r}") from None


@dataclass(frozen=True)
class Settings:
    home: Path
    database: DatabaseSettings
    secret_key: str
    environment: str = "development"
    web: WebSettings = field(default_factory=WebSettings)
    sharing: SharingConfig = field(default_factory=SharingConfig)
    validation: ValidationLimits = field(default_factory=ValidationLimits)
    reactive: ReactiveLimits = field(default_factory=ReactiveLimits)
    mail: MailSettings = field(default_factory=MailSettings)
    scope: ScopeSettings = field(default_factory=ScopeSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    losses: LossLimits = field(default_factory=LossLimits)
    # Seals meter passwords and DLMS keys at rest; None: derived from secret_key.
    meter_key: str | None = None
    # Full months of raw bytes kept in the database before the current one; older months are
    # what ``osos raw archive`` moves to files when no --before is given.
    raw_retention_months: int = 24

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


# --------------------------------------------------------------------------------------------
# Reading the environment


class _Env:
    """The ``OSOS_*`` variables, each parsed by a named rule; errors name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str = "") -> str:
        return self.environ.get(name, "").strip() or default

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        text = self.text(name)
        if not text:
            return default
        try:
            return parse(text)
        except (InvalidInput, ValueError, ArithmeticError) as exc:  # int(), Decimal(), ours
            raise ConfigError(f"{name}={text!r}: {exc}") from None


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise InvalidInput("must be a positive whole number")
    return int(text)


def _minutes(text: str) -> dt.timedelta:
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise InvalidInput("must be a whole number of minutes")
    return dt.timedelta(minutes=int(text))


def _optional_minutes(text: str) -> dt.timedelta | None:
    return None if text.lower() in ("none", "off") else _minutes(text)


def _mask(text: str) -> int:
    value = int(text, 16)
    if not 0 < value <= 0xFFFF:
        raise InvalidInput("must be a non-zero hexadecimal status mask such as 0x80")
    return value


def _day_of_month(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 28:
        raise InvalidInput("must be a day 1..28")
    return int(text)


def _secret_key(env: _Env, home: Path, environment: str) -> str:
    value = env.text("OSOS_SECRET_KEY")
    if value:
        if environment == "production" and len(value) < 32:
            raise ConfigError("OSOS_SECRET_KEY must be at least 32 characters in production")
        return value
    if environment == "production":
        raise ConfigError("OSOS_SECRET_KEY must be set in production")
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _meter_key(env: _Env, environment: str) -> str | None:
    """Its own key for meter secrets, so the session key can rotate without re-sealing."""
    value = env.text("OSOS_METER_KEY")
    if value and environment == "production" and len(value) < 32:
        raise ConfigError("OSOS_METER_KEY must be at least 32 characters in production")
    return value or None


def _database(env: _Env, home: Path) -> DatabaseSettings:
    url = env.text("OSOS_DATABASE_URL")
    if not url:
        home.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{home / 'osos.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return DatabaseSettings(url=url)


def _web(env: _Env) -> WebSettings:
    d, a, w = LoginLimits(), AbuseLimits(), WebSettings()
    minute, hour, second = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(seconds=1)
    login = LoginLimits(
        max_failures=env.parsed("OSOS_LOGIN_MAX_FAILURES", _positive, d.max_failures),
        lock=env.parsed("OSOS_LOGIN_LOCK_MINUTES", _positive, d.lock // minute) * minute,
        ip_max_failures=env.parsed("OSOS_LOGIN_IP_MAX_FAILURES", _positive, d.ip_max_failures),
        ip_window=env.parsed("OSOS_LOGIN_IP_WINDOW_MINUTES", _positive, d.ip_window // minute)
        * minute,
        session_absolute=env.parsed(
            "OSOS_LOGIN_SESSION_HOURS", _positive, d.session_absolute // hour
        )
        * hour,
        delay=env.parsed("OSOS_LOGIN_DELAY_SECONDS", _positive, d.delay // second) * second,
    )
    abuse = AbuseLimits(
        resets_per_hour=env.parsed("OSOS_RESETS_PER_HOUR", _positive, a.resets_per_hour),
        applications_per_day=env.parsed(
            "OSOS_APPLICATIONS_PER_DAY", _positive, a.applications_per_day
        ),
        uploads_per_day=env.parsed("OSOS_UPLOADS_PER_DAY", _positive, a.uploads_per_day),
        upload_bytes_per_day=env.parsed(
            "OSOS_UPLOAD_MB_PER_DAY", _positive, a.upload_bytes_per_day >> 20
        )
        << 20,
    )
    return WebSettings(
        session_max_age_s=env.parsed("OSOS_SESSION_MAX_AGE", _positive, w.session_max_age_s),
        login=login,
        abuse=abuse,
        trusted_proxies=env.parsed("OSOS_TRUSTED_PROXIES", parse_proxies, w.trusted_proxies),
        body_max_bytes=env.parsed("OSOS_BODY_MAX_MB", _positive, w.body_max_bytes >> 20) << 20,
        import_max_bytes=env.parsed("OSOS_IMPORT_MAX_MB", _positive, w.import_max_bytes >> 20)
        << 20,
        threads=env.parsed("OSOS_WEB_THREADS", _positive, w.threads),
        db_pool=env.parsed("OSOS_DB_POOL_SIZE", _positive, w.db_pool),
        queue_wait_s=env.parsed("OSOS_WEB_QUEUE_MS", _positive, int(w.queue_wait_s * 1000)) / 1000,
    )


def _sharing(env: _Env) -> SharingConfig:
    d = SharingConfig()
    return SharingConfig(
        delivery_url=env.text("OSOS_DELIVERY_URL"),
        balancing_delay=env.parsed("OSOS_SHARING_BALANCING_DELAY_MIN", _minutes, d.balancing_delay),
        generation_delay=env.parsed(
            "OSOS_SHARING_GENERATION_DELAY_MIN", _minutes, d.generation_delay
        ),
        alert_margin=env.parsed("OSOS_SHARING_ALERT_MARGIN_MIN", _minutes, d.alert_margin),
        estimate_before=env.parsed(
            "OSOS_SHARING_ESTIMATE_BEFORE_MIN", _optional_minutes, d.estimate_before
        ),
        settlement_default_day=env.parsed(
            "OSOS_SHARING_SETTLEMENT_DAY", _day_of_month, d.settlement_default_day
        ),
        obligations_from=env.parsed("OSOS_SHARING_OBLIGATIONS_FROM", parse_local, None),
        rate_per_minute=env.parsed("OSOS_API_RATE_PER_MINUTE", _positive, d.rate_per_minute),
    )


def _validation(env: _Env) -> ValidationLimits:
    d = ValidationLimits()
    seconds, hours = dt.timedelta(seconds=1), dt.timedelta(hours=1)
    p = "OSOS_VALIDATION_"
    return ValidationLimits(
        clock_drift=env.parsed(p + "CLOCK_DRIFT_S", _positive, d.clock_drift // seconds) * seconds,
        zero_consumption=env.parsed(
            p + "ZERO_CONSUMPTION_H", _positive, d.zero_consumption // hours
        )
        * hours,
        estimate_prolonged=env.parsed(
            p + "ESTIMATE_PROLONGED_H", _positive, d.estimate_prolonged // hours
        )
        * hours,
        spike_factor=env.parsed(p + "SPIKE_FACTOR", _positive, d.spike_factor),
        power_fail_mask=env.parsed(p + "POWER_FAIL_MASK", _mask, d.power_fail_mask),
        clock_set_mask=env.parsed(p + "CLOCK_SET_MASK", _mask, d.clock_set_mask),
    )


RULESET_KEYS = ("2011", "2015", "2023", "smart-2026")


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or value < 0:
        raise InvalidInput("must be a number ≥ 0")
    return value


def _load_factor(text: str) -> Decimal | None:
    if text.lower() in ("none", "off", "yok"):
        return None
    value = _decimal(text)
    if value > 1:
        raise InvalidInput("must be a share between 0 and 1, or none")
    return value


def _rulesets(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in RULESET_KEYS]
    if unknown or not keys:
        raise InvalidInput(f"rule sets are among {', '.join(RULESET_KEYS)}, got {text!r}")
    return keys


def _scope(env: _Env) -> ScopeSettings:
    d = ScopeSettings()
    return ScopeSettings(
        limit_kwh=env.parsed("OSOS_SCOPE_LIMIT_KWH", _decimal, d.limit_kwh),
        rulesets=env.parsed("OSOS_SCOPE_RULESETS", _rulesets, d.rulesets),
        min_coverage_days=env.parsed("OSOS_SCOPE_MIN_DAYS", _positive, d.min_coverage_days),
        contract_load_factor=env.parsed(
            "OSOS_SCOPE_CONTRACT_LOAD_FACTOR", _load_factor, d.contract_load_factor
        ),
    )


def _share(text: str) -> Decimal:
    if not 0 < (value := _decimal(text)) <= 1:
        raise InvalidInput("must be a share above 0 and at most 1, e.g. 0.80")
    return value


def _alerts(env: _Env) -> AlertSettings:
    d, hour = AlertSettings(), dt.timedelta(hours=1)
    return AlertSettings(
        close_share=env.parsed("OSOS_ALERTS_CLOSE_SHARE", _share, d.close_share),
        unread=env.parsed("OSOS_ALERTS_UNREAD_HOURS", _positive, d.unread // hour) * hour,
        kvar_step=env.parsed("OSOS_ALERTS_KVAR_STEP", _positive, d.kvar_step),
        sms_url=env.text("OSOS_SMS_URL"),
        headend_every=env.parsed("OSOS_ALERTS_HEADEND_MIN", _optional_minutes, None),
    )


def _losses(env: _Env) -> LossLimits:
    d, parsed = LossLimits(), {}
    for name in LossLimits.__dataclass_fields__:
        default = getattr(d, name)
        rule = _decimal if isinstance(default, Decimal) else _positive
        parsed[name] = env.parsed("OSOS_LOSSES_" + name.upper(), rule, default)
    return LossLimits(**parsed)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process: defaults overridden by the ``OSOS_*`` variables set."""
    env = _Env(os.environ if environ is None else environ)
    home = Path(env.text("OSOS_HOME", "./var")).resolve()
    environment = env.text("OSOS_ENV", "development")
    return Settings(
        home=home,
        database=_database(env, home),
        secret_key=_secret_key(env, home, environment),
        environment=environment,
        web=_web(env),
        sharing=_sharing(env),
        validation=_validation(env),
        mail=MailSettings(
            smtp_url=env.text("OSOS_SMTP_URL"), contact=env.text("OSOS_CONTACT_EMAIL")
        ),
        scope=_scope(env),
        alerts=_alerts(env),
        losses=_losses(env),
        meter_key=_meter_key(env, environment),
        raw_retention_months=env.parsed("OSOS_RAW_RETENTION_MONTHS", _positive, 24),
    )
