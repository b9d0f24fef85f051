"""The per-row work of the monthly run, column-wise in DuckDB over a chunk of meters.

For every segment (one meter, one multiplier, ``[s, e]``) one pass over its interval rows gives
what :mod:`osos.mdm.billing` would otherwise compute row by row in Python: the inputs of the
tariff-zone split of 1.8.0 and the largest 15-minute demand of 1.6.0 and 2.6.0 with its time.
A second, small query names the rows whose whole content the index at a segment edge can depend
on (the row at the edge and, per register, the nearest actual rows before and after it).

Every figure is an integer in milli-units (BIGINT; sums in HUGEINT); times are epoch
microseconds. The Python side (:mod:`osos.mdm.bulk`) turns them into the same values as the
per-point code, and sends a segment whose rows are irregular back to that code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from osos.mdm.bulk_read import ESTIMATED_BIT, MASK_COLUMNS
from osos.mdm.model import INTERVAL
from osos.timeutil import UTC, ZONES, zone_of

EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MICRO = dt.timedelta(microseconds=1)
Q = INTERVAL // MICRO
HOUR = dt.timedelta(hours=1) // MICRO
PER_HOUR = dt.timedelta(hours=1) // INTERVAL


def micros(at: dt.datetime) -> int:
    return (at - EPOCH) // MICRO


def instant(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


@dataclass(frozen=True)
class SegmentRows:
    """What one pass over a segment's rows found (1.8.0 = ``e1``), for the zone split.

    ``rows``/``valued``: rows in ``[s, e]`` and those with 1.8.0; ``steps``: rows in ``(s, e]``
    whose previous row ended 15 minutes before them; ``first``, ``second``,
    ``before_last``, ``last``: 1.8.0 at s, s + 15 min, e − 15 min, e; ``inner_min``: the
    smallest step strictly between the first and the last interval; ``zones``: the sum of the
    steps per tariff zone of the interval start (the first and last steps still from the stored
    rows); ``unzoned``: steps whose start has no zone here; ``estimated``: an estimated row in
    ``(s, e]``.
    """

    rows: int
    valued: int
    steps: int
    first: int | None
    second: int | None
    before_last: int | None
    last: int | None
    inner_min: int | None
    zones: tuple[int, int, int]
    unzoned: int
    estimated: bool


@dataclass(frozen=True)
class RowDemand:
    """The largest interval average of a segment from its rows: milli-kW, interval end, flag."""

    value: int
    end: int
    estimated: bool


def _hour_zones(lo: dt.datetime, hi: dt.datetime) -> pa.Table:
    """The tariff zone of every UTC hour in ``[lo, hi]`` (from :func:`zone_of`, so any offset
    the time zone database knows is honoured; Istanbul's offsets are whole hours)."""
    first, last = micros(lo) // HOUR - 1, micros(hi) // HOUR + 1
    hours = list(range(first, last + 1))
    zones = [ZONES.index(zone_of(instant(h * HOUR))) for h in hours]
    return pa.table({"h": pa.array(hours, pa.int64()), "z": pa.array(zones, pa.int8())})


def open_chunk(
    profile: pa.Table,
    segments: Sequence[tuple[int, int, dt.datetime, dt.datetime]],
    lo: dt.datetime,
    hi: dt.datetime,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the chunk's rows from ``lo`` on (``p``, with the previous row's
    end and 1.8.0/2.8.0 alongside; the read may start earlier, for the fingerprints), its segments
    (``seg``: id, meter, s, e) and the zones of the hours in ``[lo, hi]``."""
    con = duckdb.connect()
    con.register("profile_arrow", profile)
    kind = profile.schema.field("t").type
    if pa.types.is_string(kind):
        t = "epoch_us(strptime(t, '%Y-%m-%d %H:%M:%S.%f'))"
    elif pa.types.is_timestamp(kind):
        t = "epoch_us(t)"
    else:
        t = "CAST(t AS BIGINT)"
    con.execute(
        f"CREATE TABLE p AS SELECT *, lag(t) OVER w AS pt, lag(e1) OVER w AS pe1, "
        "lag(e2) OVER w AS pe2 FROM (SELECT CAST(m AS INTEGER) AS m, "
        f"{t} AS t, CAST(mask AS INTEGER) AS mask, CAST(e1 AS BIGINT) AS e1, CAST(e2 AS BIGINT) "
        "AS e2, CAST(p1 AS BIGINT) AS p1, CAST(p2 AS BIGINT) AS p2 FROM profile_arrow "
        f"WHERE {t} >= {micros(lo)}) WINDOW w AS (PARTITION BY m ORDER BY t)"
    )
    con.unregister("profile_arrow")
    seg = pa.table(
        {
            "sid": pa.array([s[0] for s in segments], pa.int32()),
            "m": pa.array([s[1] for s in segments], pa.int32()),
            "s": pa.array([micros(s[2]) for s in segments], pa.int64()),
            "e": pa.array([micros(s[3]) for s in segments], pa.int64()),
        }
    )
    con.register("seg", seg)
    con.register("hz", _hour_zones(lo, hi))
    return con


_SEGMENTS = f"""
WITH j AS (
  SELECT seg.sid, seg.s, seg.e, r.t, r.mask, r.e1, r.e2, r.p1, r.p2, r.pt, r.pe1, r.pe2,
         hz.z,
         COALESCE(r.p1, CASE WHEN r.pt = r.t - {Q} AND r.e1 >= r.pe1
                             THEN (r.e1 - r.pe1) * {PER_HOUR} END) AS d1,
         COALESCE(r.p2, CASE WHEN r.pt = r.t - {Q} AND r.e2 >= r.pe2
                             THEN (r.e2 - r.pe2) * {PER_HOUR} END) AS d2
  FROM seg JOIN p AS r ON r.m = seg.m AND r.t >= seg.s AND r.t <= seg.e
  LEFT JOIN hz ON hz.h = (r.t - {Q}) // {HOUR}
)
SELECT sid,
  count(*) AS rows, count(e1) AS valued, count(*) FILTER (WHERE t > s AND pt = t - {Q}),
  max(e1) FILTER (WHERE t = s), max(e1) FILTER (WHERE t = s + {Q}),
  max(e1) FILTER (WHERE t = e - {Q}), max(e1) FILTER (WHERE t = e),
  min(e1 - pe1) FILTER (WHERE t > s + {Q} AND t < e),
  sum(CAST(e1 - pe1 AS HUGEINT)) FILTER (WHERE t > s AND z = 0),
  sum(CAST(e1 - pe1 AS HUGEINT)) FILTER (WHERE t > s AND z = 1),
  sum(CAST(e1 - pe1 AS HUGEINT)) FILTER (WHERE t > s AND z = 2),
  count(*) FILTER (WHERE t > s AND z IS NULL),
  bool_or(mask >= {ESTIMATED_BIT}) FILTER (WHERE t > s),
  max({{'v': d1, 'nt': -t, 'est': mask >= {ESTIMATED_BIT}}})
    FILTER (WHERE t > s AND d1 IS NOT NULL),
  max({{'v': d2, 'nt': -t, 'est': mask >= {ESTIMATED_BIT}}})
    FILTER (WHERE t > s AND d2 IS NOT NULL)
FROM j GROUP BY sid
"""


def _demand(found: dict[str, int | bool] | None) -> RowDemand | None:
    if found is None:
        return None
    return RowDemand(int(found["v"]), -int(found["nt"]), bool(found["est"]))


def segment_rows(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[int, SegmentRows], dict[tuple[int, str], RowDemand]]:
    """Per segment id: the zone-split inputs, and the profile demand of 1.6.0 and 2.6.0."""
    rows: dict[int, SegmentRows] = {}
    demands: dict[tuple[int, str], RowDemand] = {}
    for found in con.execute(_SEGMENTS).fetchall():
        sid = int(found[0])
        z = tuple(0 if v is None else int(v) for v in found[9:12])
        rows[sid] = SegmentRows(
            int(found[1]), int(found[2]), int(found[3]), found[4], found[5], found[6], found[7],
            found[8], (z[0], z[1], z[2]), int(found[12]), bool(found[13]),
        )  # fmt: skip
        for obis, value in (("1.6.0", found[14]), ("2.6.0", found[15])):
            demand = _demand(value)
            if demand is not None:
                demands[sid, obis] = demand
    return rows, demands


_KEYS = f"""
WITH edges AS (SELECT DISTINCT m, s AS t FROM seg UNION SELECT DISTINCT m, e FROM seg),
at_edge AS (
  SELECT edges.m, edges.t, p.mask FROM edges LEFT JOIN p ON p.m = edges.m AND p.t = edges.t
),
actual AS (SELECT m, bit_or(mask) AS bits FROM p WHERE mask < {ESTIMATED_BIT} GROUP BY m),
need AS (
  SELECT at_edge.m, at_edge.t, k.k
  FROM at_edge JOIN actual ON actual.m = at_edge.m
  CROSS JOIN (SELECT unnest(range({len(MASK_COLUMNS)})) AS k) k
  WHERE (actual.bits >> k.k) & 1 = 1 AND (COALESCE(at_edge.mask, 0) >> k.k) & 1 = 0
),
anchors AS (
  SELECT need.m, need.t,
    max(p.t) FILTER (WHERE p.t < need.t) AS before, min(p.t) FILTER (WHERE p.t > need.t) AS after
  FROM need JOIN p ON p.m = need.m
  WHERE p.mask < {ESTIMATED_BIT} AND (p.mask >> need.k) & 1 = 1
  GROUP BY need.m, need.t, need.k
)
SELECT m, t FROM at_edge WHERE mask IS NOT NULL
UNION SELECT m, before FROM anchors WHERE before IS NOT NULL
UNION SELECT m, after FROM anchors WHERE after IS NOT NULL
"""


def index_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int, dt.datetime]]:
    """(meter, interval end) of every row an index at a segment edge can depend on: the row at
    the edge and, for each register it lacks there, the nearest actual rows either side."""
    return [(int(m), instant(int(t))) for m, t in con.execute(_KEYS).fetchall()]


def zone_totals(
    rows: SegmentRows, s: dt.datetime, e: dt.datetime, first: int, last: int
) -> tuple[dict[str, int], bool] | None:
    """T1/T2/T3 of a segment anchored at its 1.8.0 indexes ``first`` and ``last`` — the split of
    :func:`osos.mdm.estimate.interval_deltas` on a row at every interval end, or None when the
    rows are not such a run or a step would be negative (the caller computes it per point)."""
    steps, extra = divmod(e - s, INTERVAL)
    if extra or rows.rows != steps + 1 or rows.steps != steps or rows.valued != rows.rows:
        return None
    if rows.first is None or rows.last is None or rows.unzoned:
        return None
    if steps == 1:
        edge_steps = [last - first]
    elif rows.second is None or rows.before_last is None:
        return None
    else:
        edge_steps = [rows.second - first, last - rows.before_last]
    if min(edge_steps) < 0 or (rows.inner_min is not None and rows.inner_min < 0):
        return None
    totals = dict(zip(ZONES, rows.zones, strict=True))
    totals[zone_of(s)] += rows.first - first
    totals[zone_of(e - INTERVAL)] += last - rows.last
    return totals, rows.estimated


def meters_of(segments: Iterable[tuple[int, int, dt.datetime, dt.datetime]]) -> list[int]:
    return sorted({s[1] for s in segments})
