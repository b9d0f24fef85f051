"""A P.01 answer written straight from the model's integers, from a template per family.

:func:`~osos.protocol.iec62056_21.profile.encode_profile` writes a :class:`LoadProfile` of
:class:`ProfileRecord` objects with a ``Decimal`` per value; the simulator answers thousands of
profile reads, so it writes the same text without them: a :class:`ProfileTemplate` made once
per family and layout says where each value comes from (a register, the import total, a phase)
and how it is written, and each row is one ``%`` of the row's format with the row's integers.
The text is the codec's to the byte (``test_profile_text_is_what_the_codec_encodes``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from osos.protocol.iec62056_21.profile import HeaderLayout, ProfileLayout, RowLayout
from osos.protocol.iec62056_21.timestamps import format_vdew
from osos.timeutil import LOCAL_TZ

from .families import _PHASE_OF, _REGISTER_OF, Family
from .model import PhaseValues, Registers

Row = tuple[dt.datetime, Registers, PhaseValues]
PERIOD = dt.timedelta(minutes=15)
_IMPORT_TOTAL = -1  # the value source of 1.8.0 (T1 + T2 + T3)
_ZERO = -2  # a register the model does not keep (1.8.4): written 0.000
_MISSING = -3  # a layout channel the family has no value for: written empty, as the codec does


@dataclass(frozen=True)
class ProfileTemplate:
    """Where each value of a row comes from, in the layout's channel order: a register
    position (or :data:`_IMPORT_TOTAL`, :data:`_ZERO`, :data:`_MISSING`) for energy, or
    ``(volts|amps, phase)``; the row's fixed text around them as a ``%`` format, and the
    header line of a header layout (its stamp left as ``%s``)."""

    sources: tuple[int | tuple[str, int], ...]
    row_format: str
    header: str | None  # "P.01(%s)(status)(15)(n)(obis)(unit)…" for a header layout
    time_format: str
    time_groups: int
    layout: ProfileLayout


@functools.cache
def template(family: Family, layout: ProfileLayout) -> ProfileTemplate:
    """The template of ``family``'s P.01 rows in ``layout`` (made once)."""
    channels = family.profile_channels
    by_obis = {c.obis: c.quantity for c in channels}
    if isinstance(layout, RowLayout):
        names = [c.obis for c in layout.channels] or [c.obis for c in channels]
        values = "".join("(%s)" for _ in names)
        statuses = (family.profile_status or "").split(",") if layout.status_groups else []
        statuses = (statuses + ["0"] * layout.status_groups)[: layout.status_groups]
        stamp = "(%s)" * layout.time_groups
        row_format = stamp + values + "".join(f"({s})" for s in statuses)
        return ProfileTemplate(
            tuple(_source(by_obis.get(n)) for n in names),
            row_format,
            None,
            layout.time_format,
            layout.time_groups,
            layout,
        )
    status = family.profile_status or "0" * layout.status_width
    header = f"P.01(%s)({status})(15)({len(channels)})"
    header += "".join(f"({c.obis})({c.unit or ''})" for c in channels).replace("%", "%%")
    return ProfileTemplate(
        tuple(_source(c.quantity) for c in channels),
        "".join("(%s)" for _ in channels),
        header,
        "",
        0,
        layout,
    )


def _source(quantity: str | None) -> int | tuple[str, int]:
    if quantity is None:
        return _MISSING
    if quantity in _PHASE_OF:
        return _PHASE_OF[quantity]
    if quantity == "1.8.0":
        return _IMPORT_TOTAL
    if quantity == "1.8.4":
        return _ZERO
    return _REGISTER_OF[quantity]


def _energy(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


def _phase(milli: int) -> str:
    centi = milli // 10
    return f"{centi // 100}.{centi % 100:02d}"


def _values(tpl: ProfileTemplate, registers: Registers, phases: PhaseValues) -> tuple[str, ...]:
    out = []
    for source in tpl.sources:
        if isinstance(source, tuple):
            kind, index = source
            values = phases.volts if kind == "volts" else phases.amps
            out.append(_phase(values[index] if index < len(values) else 0))
        elif source >= 0:
            out.append(_energy(registers[source]))
        elif source == _IMPORT_TOTAL:
            out.append(_energy(registers[0] + registers[1] + registers[2]))
        elif source == _ZERO:
            out.append("0.000")
        else:
            out.append("")
    return tuple(out)


def render_profile(tpl: ProfileTemplate, rows: Sequence[Row]) -> str:
    """The P.01 answer's data (lines with CR LF, no ``!``), as ``encode_profile`` writes the
    family's records in the template's layout."""
    lines: list[str] = []
    if tpl.header is not None:
        layout = tpl.layout
        assert isinstance(layout, HeaderLayout)
        previous: dt.datetime | None = None
        for stamp, registers, phases in rows:
            if previous is None or stamp - previous != PERIOD:
                lines.append(
                    tpl.header % format_vdew(stamp, season=layout.season, seconds=layout.seconds)
                )
            lines.append(tpl.row_format % _values(tpl, registers, phases))
            previous = stamp
    else:
        for number, (stamp, registers, phases) in enumerate(rows):
            local = stamp.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
            parts = tuple(local.strftime(tpl.time_format).split(",")[: tpl.time_groups])
            row = tpl.row_format % (*parts, *_values(tpl, registers, phases))
            lines.append(("P.01" if number == 0 else "") + row)
    return "".join(line + "\r\n" for line in lines)
