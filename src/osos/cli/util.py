"""What the layers' commands share: one unit of work per command, errors as exit codes.

Commands open the configured database, run one transaction and turn the errors a user can
cause (an unknown id, a bad state) into a one-line message and an exit code instead of a
traceback; options that take a local time or a month name the option when they are wrong.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from osos.app import open_runtime
from osos.errors import ConfigError, Conflict, InvalidInput, NotFound
from osos.runtime import Runtime
from osos.store import db
from osos.timeutil import SYSTEM_CLOCK, Clock, month_bounds, parse_local

#: Errors a user causes with a bad id or an action the current state does not allow.
USER_ERRORS: tuple[type[Exception], ...] = (NotFound, InvalidInput, Conflict)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` to stderr and return the exit to raise (``raise fail(...) from exc``)."""
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def exit_on(*expected: type[Exception], code: int = 2) -> Iterator[None]:
    """Turn ``expected`` errors raised in the block into ``error: …`` and exit ``code``."""
    try:
        yield
    except expected as exc:
        raise fail(f"error: {exc}", code) from exc


@contextmanager
def command_runtime(*, upgrade: bool = False) -> Iterator[Runtime]:
    """The runtime of one command, closed when the command ends however it ends; a bad setting
    is a one-line error naming its variable."""
    try:
        runtime = open_runtime(upgrade=upgrade)
    except ConfigError as exc:
        raise fail(f"error: {exc}") from exc
    try:
        yield runtime
    finally:
        runtime.close()


@contextmanager
def unit_of_work(
    *,
    upgrade: bool = False,
    expected: tuple[type[Exception], ...] = USER_ERRORS,
    code: int = 2,
) -> Iterator[Session]:
    """One committed transaction for a command; ``expected`` errors exit with ``code``.

    Pass ``expected=()`` when the command reports its own errors around the block.
    """
    with (
        command_runtime(upgrade=upgrade) as runtime,
        exit_on(*expected, code=code),
        db.transaction(runtime.sessions) as session,
    ):
        yield session


def echo_json(data: object) -> None:
    """Print ``--json`` output: indented, Turkish letters as they are (not ``\\u`` escapes)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def local_time_option(text: str, option: str, clock: Clock = SYSTEM_CLOCK) -> dt.datetime:
    """A local ISO 8601 time typed for ``option`` (UTC inside); empty means the clock's now
    (a command's runtime runs on the system clock)."""
    try:
        return parse_local(text) if text else clock.now()
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def period_option(text: str, option: str = "--period") -> str:
    """A month ``YYYY-MM`` typed for ``option``, checked."""
    try:
        month_bounds(text)
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc
    return text
