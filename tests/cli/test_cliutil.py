"""The shared unit of work of the commands: commits, rolls back, and exits on user errors."""

from __future__ import annotations

import datetime as dt

import pytest
import typer
from sqlalchemy import func, select

from osos.cli.util import echo_json, exit_on, local_time_option, period_option, unit_of_work
from osos.errors import ConfigError, NotFound
from osos.runtime import Runtime
from osos.store.models.core import ServicePoint


def _count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(ServicePoint)) or 0


def test_unit_of_work_commits_and_rolls_back(
    sqlite_runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with unit_of_work() as session:
        session.add(ServicePoint(no="SP-OK"))
    assert _count(sqlite_runtime) == 1
    with pytest.raises(typer.Exit) as exited, unit_of_work() as session:
        session.add(ServicePoint(no="SP-GONE"))
        session.flush()
        raise NotFound("no meter 'X1'")
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err == "error: no meter 'X1'\n"
    assert _count(sqlite_runtime) == 1


def test_unexpected_errors_pass_through(sqlite_runtime: Runtime) -> None:
    with pytest.raises(NotFound), unit_of_work(expected=()):
        raise NotFound("reported by the caller")
    with pytest.raises(KeyError), unit_of_work():
        raise KeyError("a bug is not a user error")


def test_exit_on_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited, exit_on(ConfigError, code=3):
        raise ConfigError("OSOS_SECRET missing")
    assert exited.value.exit_code == 3
    assert "OSOS_SECRET missing" in capsys.readouterr().err


def test_options_name_the_option() -> None:
    assert local_time_option("2026-11-01T03:00", "--at") == dt.datetime(
        2026, 11, 1, 0, 0, tzinfo=dt.UTC
    )
    assert local_time_option("", "--at").tzinfo is not None
    with pytest.raises(typer.BadParameter) as bad:
        local_time_option("yesterday", "--at")
    assert bad.value.param_hint == "--at"
    assert period_option("2026-02") == "2026-02"
    with pytest.raises(typer.BadParameter) as bad_month:
        period_option("2026-13", "--month")
    assert bad_month.value.param_hint == "--month"


def test_echo_json_keeps_turkish_letters(capsys: pytest.CaptureFixture[str]) -> None:
    echo_json({"kurum": "EPİAŞ", "rules": [1]})
    out = capsys.readouterr().out
    assert '"kurum": "EPİAŞ"' in out and out.startswith("{\n  ")
