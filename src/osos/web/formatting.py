"""Turkish number and date formats for the screens (1.234,567 and 31.10.2026 23:59:59)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from osos.timeutil import local_date as local_day
from osos.timeutil import month_bounds, to_local


def number(value: Decimal | int | None, places: int = 3, language: str = "tr") -> str:
    """Grouped number with fixed decimals; Turkish uses '.' for groups and ',' for decimals."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    try:
        text = f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    except InvalidOperation:  # beyond the decimal context (e.g. a 32-digit event register)
        return str(value)
    if language == "tr":
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def numbers(
    values: Iterable[Decimal | int | None], places: int = 3, language: str = "tr"
) -> list[str]:
    """:func:`number` of each value, exactly, without a quantize per value: a Decimal is
    formatted straight to ``places`` in a half-up context (the format rounds as the quantize
    did; no float anywhere). Values the quick way cannot take go through :func:`number`."""
    out: list[str] = []
    spec = f",.{places}f"
    limit = 27 - places  # quantize refuses more digits than the context's 28
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP
        for value in values:
            if value is None:
                out.append("")
            elif isinstance(value, Decimal) and value.is_finite() and value.adjusted() < limit:
                text = format(value, spec)
                if language == "tr":
                    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
                out.append(text)
            else:
                out.append(number(value, places, language))
    return out


def percent(value: Decimal | None, language: str = "tr") -> str:
    """Turkish writes the sign first (%17,35), English after (17.35 %)."""
    if value is None:
        return ""
    text = number(value, 2, language)
    return "%" + text if language == "tr" else text + " %"


def local_datetime(value: dt.datetime | None, seconds: bool = True, language: str = "tr") -> str:
    if value is None:
        return ""
    local = to_local(value)
    if language == "tr":
        return local.strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(value: dt.datetime | dt.date | None, language: str = "tr") -> str:
    if value is None:
        return ""
    day = to_local(value).date() if isinstance(value, dt.datetime) else value
    return day.strftime("%d.%m.%Y" if language == "tr" else "%Y-%m-%d")


def month_end_label(period: str, language: str = "tr") -> str:
    """'2026-10' → '31.10.2026 23:59:59': the month-end index is shown at the last second."""
    last = local_day(month_bounds(period)[1] - dt.timedelta(seconds=1))
    if language == "tr":
        return last.strftime("%d.%m.%Y") + " 23:59:59"
    return last.isoformat() + " 23:59:59"


def ago_minutes(then: dt.datetime | None, now: dt.datetime) -> int | None:
    if then is None:
        return None
    return max(0, int((now - then).total_seconds() // 60))


def countdown(seconds: int, language: str = "tr") -> str:
    """Time left to a deadline ('2 sa 05 dk', '3 g 04 sa'); negative once it has passed."""
    sign = "−" if seconds < 0 else ""
    left = abs(seconds)
    days, hours, minutes = left // 86400, left % 86400 // 3600, left % 3600 // 60
    d, h, m = ("g", "sa", "dk") if language == "tr" else ("d", "h", "min")
    if days >= 2:
        return f"{sign}{days} {d} {hours:02d} {h}"
    return f"{sign}{days * 24 + hours} {h} {minutes:02d} {m}"


_UNIT_LABELS = {"m3": "m³", "M3": "m³", "m3/h": "m³/h", "GJ": "GJ", "MWh": "MWh"}


def unit_label(unit: str | None) -> str:
    """A unit as the screen writes it: meters send ``m3`` (ASCII), people read ``m³``."""
    return "" if unit is None else _UNIT_LABELS.get(unit, unit)


MONTHS = {
    "tr": ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül",
           "Ekim", "Kasım", "Aralık"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def month_label(period: str | None, language: str = "tr") -> str:
    """'2026-11' → 'Kasım 2026' (English: 'November 2026'); anything else as it is."""
    if not period or len(period) != 7 or period[4] != "-" or not period[5:].isdigit():
        return period or ""
    month = int(period[5:])
    if not 1 <= month <= 12:
        return period
    names = MONTHS.get(language, MONTHS["tr"])
    return f"{names[month - 1]} {period[:4]}"
