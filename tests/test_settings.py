"""One settings object from the environment: every ``OSOS_*`` variable, each refused by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from osos.errors import ConfigError
from osos.settings import LoginLimits, Settings, ValidationLimits, load_settings
from osos.timeutil import parse_local


def settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"OSOS_HOME": str(tmp_path), **env})


def test_defaults_need_nothing(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.database.url == f"sqlite:///{tmp_path / 'osos.sqlite3'}" and s.database.is_sqlite
    assert (tmp_path / "secret_key").read_text() == s.secret_key and len(s.secret_key) >= 32
    assert settings(tmp_path).secret_key == s.secret_key  # generated once, then kept
    assert s.web.session_max_age_s == 1800 and s.sharing.delivery_url == ""
    url = settings(tmp_path, OSOS_DATABASE_URL="postgresql://u@h/osos").database.url
    assert url == "postgresql+psycopg://u@h/osos"


def test_production_refuses_generated_or_short_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OSOS_SECRET_KEY must be set"):
        settings(tmp_path, OSOS_ENV="production")
    with pytest.raises(ConfigError, match="at least 32"):
        settings(tmp_path, OSOS_ENV="production", OSOS_SECRET_KEY="short")
    assert settings(tmp_path, OSOS_ENV="production", OSOS_SECRET_KEY="k" * 32).is_production


def test_meter_key_is_its_own_setting_or_none(tmp_path: Path) -> None:
    assert settings(tmp_path).meter_key is None  # sealed with a key derived from the secret
    assert settings(tmp_path, OSOS_METER_KEY="m" * 40).meter_key == "m" * 40
    with pytest.raises(ConfigError, match="OSOS_METER_KEY"):
        settings(tmp_path, OSOS_ENV="production", OSOS_SECRET_KEY="k" * 32, OSOS_METER_KEY="x")


def test_login_limits_come_from_the_environment(tmp_path: Path) -> None:
    assert settings(tmp_path).web.login == LoginLimits(
        max_failures=5,
        lock=dt.timedelta(minutes=15),
        ip_max_failures=30,
        ip_window=dt.timedelta(minutes=15),
        session_absolute=dt.timedelta(hours=12),
    )
    limits = settings(
        tmp_path,
        OSOS_LOGIN_MAX_FAILURES="3",
        OSOS_LOGIN_LOCK_MINUTES="60",
        OSOS_LOGIN_IP_MAX_FAILURES=" 100 ",
        OSOS_LOGIN_IP_WINDOW_MINUTES="5",
        OSOS_LOGIN_SESSION_HOURS="8",
        OSOS_LOGIN_OTHER="ignored",
    ).web.login
    assert limits == LoginLimits(
        3, dt.timedelta(hours=1), 100, dt.timedelta(minutes=5), dt.timedelta(hours=8)
    )
    assert settings(tmp_path, OSOS_LOGIN_LOCK_MINUTES="").web.login.lock == dt.timedelta(minutes=15)
    for bad in ("0", "-1", "1.5", "many", "²"):
        with pytest.raises(ConfigError, match="OSOS_LOGIN_MAX_FAILURES"):
            settings(tmp_path, OSOS_LOGIN_MAX_FAILURES=bad)


def test_validation_limits_come_from_the_environment(tmp_path: Path) -> None:
    assert settings(tmp_path).validation == ValidationLimits()
    limits = settings(
        tmp_path,
        OSOS_VALIDATION_CLOCK_DRIFT_S="300",
        OSOS_VALIDATION_ZERO_CONSUMPTION_H="6",
        OSOS_VALIDATION_ESTIMATE_PROLONGED_H="48",
        OSOS_VALIDATION_SPIKE_FACTOR="10",
        OSOS_VALIDATION_POWER_FAIL_MASK="0x40",
        OSOS_VALIDATION_CLOCK_SET_MASK="08",
    ).validation
    assert limits == ValidationLimits(
        clock_drift=dt.timedelta(minutes=5),
        zero_consumption=dt.timedelta(hours=6),
        estimate_prolonged=dt.timedelta(hours=48),
        spike_factor=10,
        power_fail_mask=0x40,
        clock_set_mask=0x08,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("CLOCK_DRIFT_S", "two minutes"), ("ZERO_CONSUMPTION_H", "0"), ("CLOCK_SET_MASK", "0x0")],
)
def test_bad_validation_limit_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"OSOS_VALIDATION_{name}"):
        settings(tmp_path, **{f"OSOS_VALIDATION_{name}": value})


def test_sharing_settings_come_from_the_environment(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        OSOS_SHARING_OBLIGATIONS_FROM="2026-10-03T00:00",
        OSOS_SHARING_BALANCING_DELAY_MIN="90",
        OSOS_SHARING_SETTLEMENT_DAY="6",
        OSOS_API_RATE_PER_MINUTE="30",
        OSOS_DELIVERY_URL="file:///tmp/out",
    ).sharing
    assert s.obligations_from == parse_local("2026-10-03T00:00")
    assert s.balancing_delay == dt.timedelta(minutes=90) and s.settlement_default_day == 6
    assert s.rate_per_minute == 30 and s.delivery_url == "file:///tmp/out"
    for name, bad in (
        ("OSOS_SHARING_OBLIGATIONS_FROM", "3 Ekim"),
        ("OSOS_SHARING_SETTLEMENT_DAY", "31"),
        ("OSOS_API_RATE_PER_MINUTE", "0"),
        ("OSOS_SHARING_ALERT_MARGIN_MIN", "half an hour"),
    ):
        with pytest.raises(ConfigError, match=name):
            settings(tmp_path, **{name: bad})


def test_scope_settings_come_from_the_environment(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        OSOS_SCOPE_LIMIT_KWH="30000",
        OSOS_SCOPE_RULESETS="2023, smart-2026",
        OSOS_SCOPE_CONTRACT_LOAD_FACTOR="none",
    ).scope
    assert s.limit_kwh == Decimal("30000") and s.rulesets == ("2023", "smart-2026")
    assert s.contract_load_factor is None
    for name, bad in (
        ("OSOS_SCOPE_RULESETS", "2019"),
        ("OSOS_SCOPE_LIMIT_KWH", "-1"),
        ("OSOS_SCOPE_CONTRACT_LOAD_FACTOR", "1.5"),
    ):
        with pytest.raises(ConfigError, match=name):
            settings(tmp_path, **{name: bad})


def test_alert_settings_come_from_the_environment(tmp_path: Path) -> None:
    d = settings(tmp_path).alerts
    assert (d.close_share, d.unread, d.kvar_step, d.sms_url, d.headend_every) == (
        Decimal("0.80"), dt.timedelta(hours=24), 5, "", None
    )  # fmt: skip
    s = settings(
        tmp_path,
        OSOS_ALERTS_CLOSE_SHARE="0.9",
        OSOS_ALERTS_UNREAD_HOURS="6",
        OSOS_ALERTS_KVAR_STEP="10",
        OSOS_SMS_URL="https://sms.example/send",
        OSOS_ALERTS_HEADEND_MIN="60",
        OSOS_CONTACT_EMAIL="osos@tredas.example",
    )
    a = s.alerts
    assert (a.close_share, a.unread, a.kvar_step) == (Decimal("0.9"), dt.timedelta(hours=6), 10)
    assert a.sms_url == "https://sms.example/send" and a.headend_every == dt.timedelta(hours=1)
    assert s.mail.contact == "osos@tredas.example"
    with pytest.raises(ConfigError, match="OSOS_ALERTS_CLOSE_SHARE"):
        settings(tmp_path, OSOS_ALERTS_CLOSE_SHARE="1.5")
    with pytest.raises(ConfigError, match="OSOS_ALERTS_UNREAD_HOURS"):
        settings(tmp_path, OSOS_ALERTS_UNREAD_HOURS="0")


def test_loss_limits_come_from_the_environment(tmp_path: Path) -> None:
    s = settings(tmp_path, OSOS_LOSSES_DROP_RATIO="0.4", OSOS_LOSSES_DROP_DAYS="5").losses
    assert s.drop_ratio == Decimal("0.4") and s.drop_days == 5
    assert s.imbalance_ratio == Decimal("0.6") and s.clock_back_minutes == 10  # defaults
    for name, bad in (("OSOS_LOSSES_DROP_DAYS", "0"), ("OSOS_LOSSES_PEER_RATIO", "-1")):
        with pytest.raises(ConfigError, match=name):
            settings(tmp_path, **{name: bad})


def test_raw_retention_comes_from_the_environment(tmp_path: Path) -> None:
    assert settings(tmp_path).raw_retention_months == 24
    assert settings(tmp_path, OSOS_RAW_RETENTION_MONTHS="36").raw_retention_months == 36
    for bad in ("0", "two", "-3"):
        with pytest.raises(ConfigError, match="OSOS_RAW_RETENTION_MONTHS"):
            settings(tmp_path, OSOS_RAW_RETENTION_MONTHS=bad)


def test_web_capacity_proxies_and_quotas_come_from_the_environment(tmp_path: Path) -> None:
    import ipaddress

    from osos.settings import AbuseLimits, WebSettings

    d = settings(tmp_path).web
    assert d.trusted_proxies == () and d.pool_size == d.threads + 2
    assert (d.threads, d.queue_wait_s, d.body_max_bytes, d.import_max_bytes) == (
        16, 2.0, 60 * 2**20, 50 * 2**20,
    )  # fmt: skip
    web = settings(
        tmp_path,
        OSOS_TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16",
        OSOS_WEB_THREADS="30",
        OSOS_DB_POOL_SIZE="40",
        OSOS_WEB_QUEUE_MS="500",
        OSOS_BODY_MAX_MB="100",
        OSOS_IMPORT_MAX_MB="80",
        OSOS_LOGIN_DELAY_SECONDS="5",
        OSOS_RESETS_PER_HOUR="3",
        OSOS_APPLICATIONS_PER_DAY="4",
        OSOS_UPLOADS_PER_DAY="6",
        OSOS_UPLOAD_MB_PER_DAY="7",
    ).web
    assert web.trusted_proxies == (
        ipaddress.ip_network("10.0.0.5"),
        ipaddress.ip_network("10.1.0.0/16"),
    )
    assert (web.threads, web.pool_size, web.queue_wait_s) == (30, 40, 0.5)
    assert (web.body_max_bytes, web.import_max_bytes) == (100 * 2**20, 80 * 2**20)
    assert web.login.delay == dt.timedelta(seconds=5)
    assert web.abuse == AbuseLimits(3, 4, 6, 7 * 2**20)
    assert settings(tmp_path, OSOS_WEB_THREADS="50", OSOS_DB_POOL_SIZE="10").web.pool_size == 52
    assert isinstance(web, WebSettings)
    for name, bad in (("OSOS_TRUSTED_PROXIES", "10.0.0.300"), ("OSOS_WEB_THREADS", "0")):
        with pytest.raises(ConfigError, match=name):
            settings(tmp_path, **{name: bad})
