"""Small helpers the detectors share: runs of flagged items, exact ratios, overlap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")


def runs(items: Sequence[T], flagged: Callable[[T], bool], minimum: int = 1) -> Iterator[list[T]]:
    """Maximal runs of consecutive flagged items at least ``minimum`` long."""
    current: list[T] = []
    for item in items:
        if flagged(item):
            current.append(item)
            continue
        if len(current) >= minimum:
            yield current
        current = []
    if len(current) >= minimum:
        yield current


def overlaps(
    start: dt.datetime, end: dt.datetime | None, low: dt.datetime, high: dt.datetime
) -> bool:
    """[start, end] (end None = still going) meets [low, high)."""
    return start < high and (end is None or end >= low)


def text(value: Decimal) -> str:
    """A Decimal as evidence text: exact, no exponent, no trailing zeros (``0.800`` → ``0.8``)."""
    return format(value.normalize(), "f")


def ratio(part: Decimal, whole: Decimal, places: int = 3) -> Decimal:
    """part / whole rounded to ``places`` (for evidence and comparisons of shares)."""
    return (part / whole).quantize(Decimal(1).scaleb(-places))


def by_key(items: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out
