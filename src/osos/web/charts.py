"""Charts as SVG rendered on the server: no third-party script, readable without JavaScript.

Gaps stay gaps (a missing value breaks the line), limit lines are dashed and labelled. Each
chart is drawn twice, wide (760 units) and narrow (360, shown on phones by osos.css), so that
its axis text keeps its size on a 375 px screen: the narrow one has fewer labels, never smaller
ones. The y ticks sit at round values (:mod:`osos.web.ticks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

from osos.timeutil import to_local
from osos.web.ticks import NARROW, WIDE, label_stride, max_ticks, nice_ticks

W, H = WIDE, 260
PAD_L, PAD_R, PAD_T, PAD_B = 64, 12, 24, 30


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal | None]
    css: str = "s1"  # colour class in osos.css


@dataclass(frozen=True)
class Limit:
    label: str
    value: Decimal
    css: str = "limit"


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _tick(value: float) -> str:
    """Axis numbers in Turkish style (1.234,5), at most one decimal."""
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def time_labels(times: Sequence[dt.datetime]) -> list[str]:
    """Short local labels: the hour within one day, day and hour over a few days, else the day."""
    if not times:
        return []
    local = [to_local(t) for t in times]
    days = (local[-1].date() - local[0].date()).days
    if days == 0:
        return [f"{t:%H:%M}" for t in local]
    if days <= 3:
        return [f"{t:%d.%m %H:%M}" for t in local]
    return [f"{t:%d.%m}" for t in local]


@dataclass(frozen=True)
class _Frame:
    """The plot area of one drawing: n equally spaced points, y from ``lo`` to ``hi`` (the
    outer ticks), ``w`` units wide."""

    n: int
    lo: float
    hi: float
    ticks: tuple[Decimal, ...] = ()
    w: int = W

    @property
    def plot_w(self) -> float:
        return float(self.w - PAD_L - PAD_R)

    def x(self, i: float) -> float:
        return float(PAD_L + (self.plot_w * (i + 0.5) / self.n if self.n else 0))

    def y(self, value: float) -> float:
        plot_h = H - PAD_T - PAD_B
        return float(PAD_T + plot_h * (1 - (value - self.lo) / ((self.hi - self.lo) or 1)))


def _frame(series: Sequence[Series], limits: Sequence[Limit], from_zero: bool, w: int) -> _Frame:
    n = max((len(s.values) for s in series), default=0)
    values = [Decimal(v) for s in series for v in s.values if v is not None]
    values += [Decimal(lim.value) for lim in limits]
    if from_zero or not values:
        lo, hi = min([Decimal(0), *values]), max([Decimal(1), *values])
    else:  # voltages: the part near the nominal value
        span = (max(values) - min(values)) or Decimal(1)
        lo, hi = min(values) - span / 10, max(values) + span / 10
    ticks = tuple(nice_ticks(lo, hi, max_ticks(w)))
    return _Frame(n, float(ticks[0]), float(ticks[-1]), ticks, w)


def _axes(f: _Frame, x_labels: Sequence[str], unit: str) -> list[str]:
    parts = []
    for value in f.ticks:
        tick = float(value)
        parts.append(
            f'<line class="grid" x1="{PAD_L}" x2="{f.w - PAD_R}" '
            f'y1="{_fmt(f.y(tick))}" y2="{_fmt(f.y(tick))}"/>'
            f'<text class="axis" x="{PAD_L - 6}" y="{_fmt(f.y(tick) + 4)}" text-anchor="end">'
            f"{_tick(tick)}</text>"
        )
    if unit:
        parts.append(
            f'<text class="axis" x="{PAD_L - 6}" y="12" text-anchor="end">{escape(unit)}</text>'
        )
    chars = max((len(label) for label in x_labels), default=1)
    for i in range(0, min(f.n, len(x_labels)), label_stride(f.n, f.plot_w, chars)):
        parts.append(
            f'<text class="axis" x="{_fmt(f.x(i))}" y="{H - 8}" text-anchor="middle">'
            f"{escape(x_labels[i])}</text>"
        )
    return parts


def _bars(f: _Frame, series: Sequence[Series], x_labels: Sequence[str]) -> list[str]:
    bar_w = f.plot_w / f.n / max(1, len(series)) * 0.8 if f.n else 0
    parts = []
    for si, s in enumerate(series):
        for i, v in enumerate(s.values):
            if v is None:
                continue
            top, base = f.y(float(v)), f.y(0.0)
            parts.append(
                f'<rect class="{s.css}" '
                f'x="{_fmt(f.x(i) - bar_w * len(series) / 2 + bar_w * si)}" '
                f'y="{_fmt(min(top, base))}" width="{_fmt(bar_w)}" '
                f'height="{_fmt(abs(base - top))}"><title>{escape(x_labels[i])}: '
                f"{v}</title></rect>"
            )
    return parts


def _lines(f: _Frame, series: Sequence[Series]) -> list[str]:
    """A polyline per run of values; a lone value is a dot; None breaks the line."""
    parts = []
    for s in series:
        run: list[str] = []
        for i, v in enumerate([*s.values, None]):
            if v is not None:
                run.append(f"{_fmt(f.x(i))},{_fmt(f.y(float(v)))}")
                continue
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle class="{s.css}" cx="{cx}" cy="{cy}" r="2"/>')
            elif run:
                parts.append(f'<polyline class="{s.css}" points="{" ".join(run)}"/>')
            run = []
    return parts


def _limit_lines(f: _Frame, limits: Sequence[Limit]) -> list[str]:
    parts = []
    for lim in limits:
        ly = _fmt(f.y(float(lim.value)))
        parts.append(
            f'<line class="{lim.css}" x1="{PAD_L}" x2="{f.w - PAD_R}" y1="{ly}" y2="{ly}"/>'
            f'<text class="axis {lim.css}-label" x="{f.w - PAD_R - 4}" y="{float(ly) - 4:.1f}" '
            f'text-anchor="end">{escape(lim.label)}</text>'
        )
    return parts


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    limits: Sequence[Limit] = (),
    unit: str = "",
    bars: bool = False,
    title: str = "",
    from_zero: bool = True,
) -> Markup:
    """A line (or bar) chart of equally spaced points; None values leave gaps. Drawn wide
    and narrow (one of them shown, by the screen's width)."""
    parts = []
    for width, css in ((WIDE, "wide"), (NARROW, "narrow")):
        f = _frame(series, limits, from_zero, width)
        parts += [
            f'<svg class="chart {css}" viewBox="0 0 {width} {H}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
            *_axes(f, x_labels, unit),
            *(_bars(f, series, x_labels) if bars else _lines(f, series)),
            *_limit_lines(f, limits),
            "</svg>",
        ]
    legend = "".join(
        f'<span class="key"><i class="{s.css}"></i>{escape(s.label)}</span>' for s in series
    )
    return Markup(
        f'<figure class="chart-box">{"".join(parts)}<figcaption>{legend}</figcaption></figure>'
    )
