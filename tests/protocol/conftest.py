"""Fixtures for the IEC 62056-21 tests: the real meter dumps in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from osos.protocol.iec62056_21.capture import CaptureResult, parse_capture
from osos.protocol.iec62056_21.datasets import DataSet

DATA = Path(__file__).resolve().parent.parent / "data"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def capture(name: str) -> CaptureResult:
    return parse_capture(sample(name))


def by_address(result: CaptureResult) -> dict[str, DataSet]:
    return {ds.address: ds for ds in result.values}


@pytest.fixture
def data_dir() -> Path:
    return DATA
