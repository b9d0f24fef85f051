"""DLMS meters in generated fleets: the share is spread evenly and off by default."""

from __future__ import annotations

from osos.simulator import specs_for


def test_dlms_share_defaults_to_none_and_spreads_evenly() -> None:
    assert [s.protocol for s in specs_for(10)] == ["iec"] * 10
    mixed = specs_for(10, dlms_share=0.3)
    assert sum(s.protocol == "dlms" for s in mixed) == 3
    assert [s.serial for s in mixed] == [s.serial for s in specs_for(10)]
    assert all(s.protocol == "dlms" for s in specs_for(4, dlms_share=1.0))
