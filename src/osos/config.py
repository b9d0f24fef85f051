"""One settings object, read from the environment (``OSOS_*``).

Nothing is required to start: the defaults give an embedded SQLite database under ``OSOS_HOME``.
Secrets that are generated for a demo are refused when ``OSOS_ENV=production``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from osos.errors import ConfigError


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip() or default


@dataclass(frozen=True)
class ReactiveLimits:
    """EPDK tariff rules 5999-3 (2015); percent of active energy. Configuration, not law."""

    threshold_kva: Decimal = Decimal("50")
    inductive_small: Decimal = Decimal("33")
    capacitive_small: Decimal = Decimal("20")
    inductive_large: Decimal = Decimal("20")
    capacitive_large: Decimal = Decimal("15")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str
    environment: str = "development"
    delivery_url: str = ""
    smtp_url: str = ""
    session_max_age_s: int = 30 * 60
    reactive_limits: ReactiveLimits = field(default_factory=ReactiveLimits)
    settlement_period_minutes: int = 60

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(home: Path, environment: str) -> str:
    value = os.environ.get("OSOS_SECRET_KEY", "").strip()
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


def load_settings() -> Settings:
    home = Path(_env("OSOS_HOME", "./var")).resolve()
    environment = _env("OSOS_ENV", "development")
    database_url = os.environ.get("OSOS_DATABASE_URL", "").strip()
    if not database_url:
        home.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{home / 'osos.sqlite3'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return Settings(
        home=home,
        database_url=database_url,
        secret_key=_secret_key(home, environment),
        environment=environment,
        delivery_url=os.environ.get("OSOS_DELIVERY_URL", "").strip(),
        smtp_url=os.environ.get("OSOS_SMTP_URL", "").strip(),
        session_max_age_s=int(_env("OSOS_SESSION_MAX_AGE", str(30 * 60))),
    )
