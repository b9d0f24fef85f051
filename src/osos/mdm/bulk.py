"""The monthly run of many service points at once, set-based: the figures of the per-point run
(:func:`osos.mdm.months.compute_for`, kept as the reference) from column-wise work.

Per chunk of service points: the installations (one query), every interval row of their
meters in one bulk read into Arrow (:mod:`~osos.mdm.bulk_read`), the per-row work in DuckDB
(:mod:`~osos.mdm.columnar`: zone split, maximum demand, which rows the edge indexes depend on),
those few rows whole and the readouts. The month is then assembled by the same pure code as
the per-point run (:func:`~osos.mdm.billing.compute_month`), with the column-wise results in
place of its row loops, so segments, indexes, flags and ratios come out identical. A segment
whose rows are not a regular run (a gap, a negative step, no rows at an edge) is the per-point
run's case: that service point is computed by it, from its own full data.

Memory grows with the chunk, not with the number of service points.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.mdm import bulk_read, columnar, loading
from osos.mdm.billing import (
    MonthlyReport,
    TariffSplit,
    compute_month,
    register_tariffs,
    zone_split,
)
from osos.mdm.columnar import RowDemand, SegmentRows
from osos.mdm.demand import RawDemand, from_reads, running_max
from osos.mdm.fingerprints import FINGERPRINT_AFTER, FINGERPRINT_BEFORE
from osos.mdm.model import INTERVAL, InstallationSpan, MeterData, ProfileSeries
from osos.mdm.months import compute_for, meters_of, month_input, parse_period
from osos.mdm.segments import Segment, spans_in
from osos.mdm.sqlite_reader import SqliteReader
from osos.regulation import settings_at
from osos.settings import Settings
from osos.store.models import ServicePoint

log = logging.getLogger(__name__)

#: The window of rows around the month the per-point run loads (``loading.meter_data``).
PROFILE_MARGIN = dt.timedelta(days=2)
#: The bulk read's window when the run counts rows for the fingerprints (one interval more
#: before the month), so count, version sum and newest readout per meter come from it too.
READ_BEFORE, READ_AFTER = (
    max(PROFILE_MARGIN, FINGERPRINT_BEFORE),
    max(PROFILE_MARGIN, FINGERPRINT_AFTER),
)
CHUNK = 1000

SegmentKey = tuple[int, dt.datetime, dt.datetime]


class Irregular(Exception):
    """A segment the column-wise results do not cover; its service point goes per point."""


class ChunkSteps:
    """The per-segment steps of :func:`compute_month`, answered from the chunk's DuckDB pass."""

    def __init__(
        self,
        keys: dict[SegmentKey, int],
        rows: dict[int, SegmentRows],
        demands: dict[tuple[int, str], RowDemand],
    ) -> None:
        self.keys, self.rows, self.demands = keys, rows, demands

    def tariffs(self, segment: Segment, meter: MeterData) -> TariffSplit:
        own = register_tariffs(segment)
        if own is not None:
            return own
        first, last = segment.start_index.get("1.8.0"), segment.end_index.get("1.8.0")
        if first is None or last is None:
            return zone_split(segment, None)
        rows = self.rows.get(self.keys[segment.span.meter_id, segment.start, segment.end])
        if rows is None:
            raise Irregular("no rows")
        split = columnar.zone_totals(rows, segment.start, segment.end, first.value, last.value)
        if split is None:
            raise Irregular("not a regular run")
        return zone_split(segment, split)

    def demand(
        self,
        meter: MeterData,
        obis: str,
        start: dt.datetime,
        end: dt.datetime,
        period_end: dt.datetime,
    ) -> RawDemand | None:
        frozen = from_reads(meter, obis, start, end, period_end)
        if frozen is not None:
            return frozen
        found = self.demands.get((self.keys[meter.meter_id, start, end], obis))
        if found is not None:
            when = columnar.instant(found.end) - INTERVAL
            return RawDemand(Decimal(found.value).scaleb(-3), when, "profile", found.estimated)
        return running_max(meter, obis, start, end)


def _segments(
    spans: dict[int, list[InstallationSpan]], start: dt.datetime, end: dt.datetime
) -> dict[SegmentKey, int]:
    """Every (meter, segment start, segment end) of the chunk, numbered."""
    keys: dict[SegmentKey, int] = {}
    for sp_spans in spans.values():
        for span, first, last in spans_in(sp_spans, start, end):
            keys.setdefault((span.meter_id, first, last), len(keys))
    return keys


@dataclass
class ChunkPlan:
    """A chunk of service points with its installations, segments and its rows on the way."""

    part: Sequence[ServicePoint]
    spans: dict[int, list[InstallationSpan]]
    keys: dict[SegmentKey, int]
    serials: dict[int, str]
    rows: Future[pa.Table] | None


def plan_chunk(
    session: Session,
    part: Sequence[ServicePoint],
    start: dt.datetime,
    end: dt.datetime,
    pool: Executor,
    sqlite: SqliteReader | None,
    apart: bool,
    counted: bool = False,
) -> ChunkPlan:
    """Installations and segments of a chunk, and the bulk read of its rows started (with the
    fingerprints' window and columns when ``counted``)."""
    spans = loading.installation_spans(session, [sp.id for sp in part], start, end)
    serials: dict[int, str] = {}
    for sp_spans in spans.values():
        serials.update(meters_of(sp_spans))
    keys = _segments(spans, start, end)
    meter_ids = sorted({m for m, _, _ in keys})
    lo, hi = start - PROFILE_MARGIN, end + PROFILE_MARGIN
    if counted:
        lo, hi = start - READ_BEFORE, end + READ_AFTER
    rows = None
    if meter_ids:
        rows = bulk_read.start_profile_read(
            session, meter_ids, lo, hi, pool, sqlite, apart=apart, counted=counted
        )
    return ChunkPlan(part, spans, keys, serials, rows)


def _column_pass(
    session: Session,
    plan: ChunkPlan,
    start: dt.datetime,
    end: dt.datetime,
    sums: bulk_read.MeterSums | None,
) -> tuple[ChunkSteps, dict[int, ProfileSeries]]:
    """The DuckDB pass over the chunk's rows, and the rows the edge indexes depend on; each
    meter's rows counted into ``sums`` (for the fingerprints) when given."""
    if plan.rows is None:
        return ChunkSteps(plan.keys, {}, {}), {}
    segments = [(sid, m, s, e) for (m, s, e), sid in plan.keys.items()]
    table = plan.rows.result()
    if sums is not None:
        sums.update(dict.fromkeys((m for m, _, _ in plan.keys), (0, None, None)))
        sums.update(bulk_read.meter_sums(table))
    lo, hi = start - PROFILE_MARGIN, end + PROFILE_MARGIN
    con = columnar.open_chunk(table, segments, lo, hi)
    try:
        rows, demands = columnar.segment_rows(con)
        edge_rows = columnar.index_rows(con)
    finally:
        con.close()
    return ChunkSteps(plan.keys, rows, demands), loading.profile_at(session, edge_rows)


def chunk_reports(
    session: Session,
    plan: ChunkPlan,
    period: str,
    settings: Settings,
    sums: bulk_read.MeterSums | None = None,
) -> Iterator[MonthlyReport]:
    """The months of one planned chunk of service points, in the order given."""
    start, end = parse_period(period)
    steps, profiles = _column_pass(session, plan, start, end, sums)
    reads = loading.register_reads(
        session, plan.serials, start - loading.READ_MARGIN, end + loading.READ_MARGIN
    )
    meters = {
        m: MeterData(m, serial, profiles.get(m, ProfileSeries()), reads.get(m, ()))
        for m, serial in plan.serials.items()
    }
    for sp in plan.part:
        month = month_input(sp, period, start, end, plan.spans[sp.id], meters)
        try:
            yield compute_month(
                month, settings.reactive, tariffs=steps.tariffs, demands=steps.demand
            )
        except Irregular:
            yield compute_for(session, sp, period, settings)


def monthly_bulk(
    session: Session,
    period: str,
    settings: Settings,
    *,
    service_points: Sequence[ServicePoint] | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    sums: bulk_read.MeterSums | None = None,
) -> Iterator[MonthlyReport]:
    """Every service point's month (or these service points'), by service point number.

    ``sums``, when given, receives each meter's interval rows in the fingerprints' window
    (count, version sum, newest readout id) from the same read, chunk by chunk, before the
    chunk's reports are yielded."""
    if service_points is None:
        statement = select(ServicePoint).order_by(ServicePoint.no)
        service_points = list(session.execute(statement).scalars())
    start, end = parse_period(period)
    settings = settings_at(session, settings, start)  # the regulatory settings of that month
    parts = [service_points[k : k + chunk] for k in range(0, len(service_points), chunk)]
    sqlite = SqliteReader()
    apart = bulk_read.outside(session)
    try:
        with ThreadPoolExecutor(1) as pool:  # the next chunk's rows are read meanwhile
            counted = sums is not None
            plans = (
                plan_chunk(session, p, start, end, pool, sqlite, apart, counted) for p in parts
            )
            upcoming = next(plans, None)
            done = 0
            while upcoming is not None:
                plan, upcoming = upcoming, next(plans, None)
                yield from chunk_reports(session, plan, period, settings, sums)
                done += len(plan.part)
                if progress is not None:
                    progress(done, len(service_points))
    finally:
        sqlite.close()
