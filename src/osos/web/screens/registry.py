"""Every screen of a service point, in the order of the panel's tabs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from osos.web.screens import aylik, endeks, oranlar, readout, ykp, ykp_file, yuk
from osos.web.screens.common import Screen

SCREENS: tuple[Screen[Any, Any], ...] = (
    readout.SCREEN,
    dataclasses.replace(ykp.SCREEN, file=ykp_file.download),  # its file without the page
    endeks.SCREEN,
    oranlar.SCREEN,
    yuk.SCREEN,
    aylik.SCREEN,
)
BY_NAME: Mapping[str, Screen[Any, Any]] = {s.name: s for s in SCREENS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
