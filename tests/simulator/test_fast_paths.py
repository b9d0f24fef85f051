"""The simulator's fast paths write what its slow, object-built paths write, to the byte.

``VirtualMeter.profile_text`` (a family template filled with the model's integers) against the
codec's ``encode_profile`` of ``VirtualMeter.profile`` (records of ``Decimal`` values): every
family, every layout of the codec's table (a layout naming a channel the family lacks too), a
drifting clock, a clock set, tampering that changes the phases and the registers, ranges
across a day, open ends and a range before installation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from osos.protocol.iec62056_21.meter_profiles import PROFILES
from osos.protocol.iec62056_21.profile import encode_profile
from osos.simulator.consumption import CustomerKind
from osos.simulator.families import FAMILIES
from osos.simulator.meter import VirtualMeter
from osos.simulator.spec import MeterSpec, specs_for
from osos.timeutil import FixedClock

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=UTC)
RANGES = (
    (NOW - dt.timedelta(hours=1), NOW),
    (NOW - dt.timedelta(hours=30), NOW - dt.timedelta(hours=2)),
    (None, NOW - dt.timedelta(days=59)),
    (NOW - dt.timedelta(minutes=20), None),
    (dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2020, 1, 2, tzinfo=UTC)),
)
SPECS = (
    *(
        MeterSpec(f"9000{i:04d}", key, kind, seed=40 + i, drift_s=(-754 if i % 2 else 95))
        for i, (key, kind) in enumerate(
            (key, kind)
            for key in FAMILIES
            for kind in (CustomerKind.GENERATION, CustomerKind.INDUSTRY)
        )
    ),
    *(dataclasses.replace(s, port=None) for s in specs_for(8, seed=5)),
)
LAYOUTS = tuple({p.profile_layout for p in PROFILES})


def _pairs(meter: VirtualMeter) -> list[tuple[str | None, str | None]]:
    found = []
    for start, end in RANGES:
        for layout in LAYOUTS:
            profile = meter.profile(start, end)
            slow = None if profile is None else encode_profile(profile, layout)
            found.append((meter.profile_text(start, end, layout), slow))
    return found


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.serial}-{s.family}")
def test_profile_text_is_what_the_codec_encodes(spec: MeterSpec) -> None:
    clock = FixedClock(NOW)
    meter = VirtualMeter(spec, clock)
    pairs = _pairs(meter)
    meter.model.tamper.begin("phase_loss", NOW - dt.timedelta(hours=20))
    meter.model.tamper.begin("bypass", NOW - dt.timedelta(hours=3))
    pairs += _pairs(meter)
    meter.set_clock_offset(-3600)  # the clock an hour behind: stamps repeat, then a gap
    clock.set(NOW + dt.timedelta(minutes=50))
    pairs += _pairs(meter)
    for fast, slow in pairs:
        assert fast == slow
    assert any(fast for fast, _ in pairs) is FAMILIES[spec.family].load_profile
