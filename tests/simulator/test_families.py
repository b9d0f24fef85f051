"""The simulator's P.01 channels come from the codec's meter-profile table for row makes."""

from __future__ import annotations

import dataclasses

import pytest

from osos.errors import InvalidInput
from osos.protocol.iec62056_21.meter_profiles import LUNA_CHANNELS, MAKEL_CHANNELS
from osos.simulator.families import EMH_LZQJ, FAMILIES, LUNA, MAKEL_C520, ProfileChannel


def test_row_makes_write_the_codec_layout() -> None:
    assert [(c.obis, c.unit) for c in MAKEL_C520.profile_channels] == [
        (c.obis, c.unit) for c in MAKEL_CHANNELS
    ]
    assert [(c.obis, c.unit) for c in LUNA.profile_channels] == [
        (c.obis, c.unit) for c in LUNA_CHANNELS
    ]
    # the layout follows the codec profile the family names, not a copy kept here
    moved = dataclasses.replace(LUNA, key="luna-as-makel", protocol_profile="makel")
    assert [c.obis for c in moved.profile_channels] == [c.obis for c in MAKEL_CHANNELS]


def test_header_makes_name_their_channels() -> None:
    for family in FAMILIES.values():
        # a water, gas or heat meter keeps no load profile: no channels to name
        assert bool(family.profile_channels) is family.load_profile, family.key
    assert {f.key for f in FAMILIES.values() if not f.load_profile} == {
        "water-iec",
        "gas-iec",
        "heat-iec",
    }
    assert EMH_LZQJ.profile_channels[0] == ProfileChannel("1.8.0", "kWh", "1.8.0")
    assert EMH_LZQJ.profile_channels[-1] == ProfileChannel("71.7.0", "A", "71.7.0")
    metcom = FAMILIES["metcom-mcs301"].profile_channels
    assert metcom[2] == ProfileChannel("1-0:5.8.0", "kvarh", "5.8.0")


def test_row_make_refuses_its_own_channel_list() -> None:
    with pytest.raises(InvalidInput, match="meter-profile table"):
        dataclasses.replace(MAKEL_C520, header_channels=EMH_LZQJ.header_channels)
