"""Validation limits from the environment (``OSOS_VALIDATION_*``), so a utility can tune them
without a release; unset variables keep the defaults of :class:`osos.mdm.validate.Limits`.

| variable | unit | default |
| --- | --- | --- |
| ``OSOS_VALIDATION_CLOCK_DRIFT_S`` | seconds | 120 |
| ``OSOS_VALIDATION_ZERO_CONSUMPTION_H`` | hours | 72 |
| ``OSOS_VALIDATION_ESTIMATE_PROLONGED_H`` | hours | 72 |
| ``OSOS_VALIDATION_SPIKE_FACTOR`` | × the meter's 95th percentile | 4 |
| ``OSOS_VALIDATION_POWER_FAIL_MASK`` | status bits, hex | 0x80 |
| ``OSOS_VALIDATION_CLOCK_SET_MASK`` | status bits, hex | 0x22 |
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from typing import Any

from osos.errors import ConfigError
from osos.mdm.validate import Limits

PREFIX = "OSOS_VALIDATION_"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _mask(text: str) -> int:
    value = int(text, 16)
    if not 0 < value <= 0xFFFF:
        raise ValueError("must be a non-zero hexadecimal status mask such as 0x80")
    return value


_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CLOCK_DRIFT_S": ("clock_drift", lambda t: dt.timedelta(seconds=_positive_int(t))),
    "ZERO_CONSUMPTION_H": ("zero_consumption", lambda t: dt.timedelta(hours=_positive_int(t))),
    "ESTIMATE_PROLONGED_H": ("estimate_prolonged", lambda t: dt.timedelta(hours=_positive_int(t))),
    "SPIKE_FACTOR": ("spike_factor", _positive_int),
    "POWER_FAIL_MASK": ("power_fail_mask", _mask),
    "CLOCK_SET_MASK": ("clock_set_mask", _mask),
}


def validation_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """The limits in force: defaults overridden by the ``OSOS_VALIDATION_*`` variables set.

    A malformed value is a :class:`ConfigError` naming the variable, never a silent default.
    """
    environ = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    for suffix, (name, parse) in _FIELDS.items():
        text = environ.get(PREFIX + suffix, "").strip()
        if not text:
            continue
        try:
            changes[name] = parse(text)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{suffix}={text!r}: {exc}") from exc
    return Limits(**changes)
