"""Sections of :class:`osos.settings.Settings` that are plain values: who must be in OSOS, the
loss detectors' thresholds, mail and alerts, the validation and reactive limits. Kept apart so
``settings.py`` (the only reader of the environment) stays one screenful of rules;
``osos.settings`` re-exports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ScopeSettings:
    """Who must be in OSOS: the company's Board-approved limit (TREDAŞ: 50 MWh/year), the rule
    sets it applies (keys of ``osos.scope.rules.RULESETS``), how much stored data makes a year
    known, and the load factor of the contract-power estimate (None: no estimate)."""

    limit_kwh: Decimal = Decimal("50000")
    rulesets: tuple[str, ...] = ("2011", "2015", "2023", "smart-2026")
    min_coverage_days: int = 28
    contract_load_factor: Decimal | None = Decimal("0.30")


@dataclass(frozen=True)
class LossLimits:
    """Thresholds of the loss and tamper detectors (docs/losses.md says why each); currents and
    voltages are the meter's own (secondary) values. Env: ``OSOS_LOSSES_<FIELD>``."""

    imbalance_ratio: Decimal = Decimal("0.6")  # (max − min) / max of the phase currents
    imbalance_min_a: Decimal = Decimal("0.5")  # only judged when the largest current is this
    imbalance_samples: int = 4  # consecutive samples (15 min each) before it is a finding
    voltage_missing_ratio: Decimal = Decimal("0.5")  # a phase below this share of the highest
    current_flowing_a: Decimal = Decimal("0.05")  # ... while its current is at least this
    reverse_min_kwh: Decimal = Decimal("1")  # export on a consumer's meter within the period
    drop_ratio: Decimal = Decimal("0.5")  # a day at most this share of its weekday-hour norm
    drop_days: int = 3  # consecutive such days
    drop_history_weeks: int = 4  # weeks before each day that make its norm
    drop_min_kwh: Decimal = Decimal("5")  # norms of smaller days are not judged
    peer_ratio: Decimal = Decimal("0.6")  # ... and this share of the similar points' median
    peer_min_points: int = 3  # similar points needed for the comparison
    clock_back_minutes: int = 10  # the meter's clock behind true time by this much


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str = ""  # without it, messages wait in the outbox
    contact: str = ""  # the company's OSOS contact address the panel gives (OSOS_CONTACT_EMAIL)


@dataclass(frozen=True)
class AlertSettings:
    """Alerts (docs/alerts.md): the share of a limit that is ``close``, how long a meter may
    stay unread, the compensation step, the SMS gateway (empty: only logged), the head-end's."""

    close_share: Decimal = Decimal("0.80")
    unread: dt.timedelta = dt.timedelta(hours=24)
    kvar_step: int = 5
    sms_url: str = ""
    headend_every: dt.timedelta | None = None  # None: the head-end does not run them


@dataclass(frozen=True)
class ValidationLimits:
    """Thresholds of the validation checks."""

    spike_factor: int = 4  # × the 95th percentile of the meter's own interval consumption
    spike_min_history: int = 96  # intervals of history needed before spikes are judged
    spike_min_milli: int = 1000  # never call less than 1 kWh in 15 minutes a spike
    clock_drift: dt.timedelta = dt.timedelta(minutes=2)
    zero_consumption: dt.timedelta = dt.timedelta(days=3)
    estimate_prolonged: dt.timedelta = dt.timedelta(days=3)
    tariff_tolerance_milli: int = 10  # T1+T2+T3 vs total: each register rounds on its own
    # Profile status bits (DLMS AMR profile status; VDEW meters use the same low byte).
    power_fail_mask: int = 0x80
    clock_set_mask: int = 0x20 | 0x02


@dataclass(frozen=True)
class ReactiveLimits:
    """EPDK tariff rules 5999-3 (2015); percent of active energy."""

    threshold_kva: Decimal = Decimal("50")
    inductive_small: Decimal = Decimal("33")
    capacitive_small: Decimal = Decimal("20")
    inductive_large: Decimal = Decimal("20")
    capacitive_large: Decimal = Decimal("15")
