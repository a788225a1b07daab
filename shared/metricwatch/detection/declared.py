"""What a metric's declaration says about its values: time zone, direction and kind.

Three fields of a `detection_metrics.json` entry, the same for any model:

- `timezone` (an IANA name, default "UTC"): the model sees each timestamp as
  the wall clock of that zone (UTC plus the zone's offset at that instant),
  so its hour of the day and day of the week are local ones and a daily peak
  at 09:00 stays at 09:00 across a daylight-saving change. The hour the
  clock skips or repeats is a gap or a step back in time, which every model
  takes (rows are never sorted or dropped).
- `direction`: `both` (default), `up` or `down`, the deviations that matter.
  With `up`, an outlier below its expected value (below the training
  median, for a model that reports no expected value) becomes an inlier
  that says `silenced` = "direction" (latency that drops); with `down`, one
  above it (free disk that grows). The model decides as usual first, one
  alarm per event included: so the way back up after a harmless drop, which
  the level has partly followed, is still part of that drop and no alarm of
  its own (leaving the drop out before the gates made each such recovery an
  alarm), while a rise larger than the drop is. A stuck (flat) value
  (`reason` "stuck") is no direction and still fires.
- `kind`: `gauge` (default) or `counter`. A counter is judged by its rate,
  the increase per second since the previous point. A decrease is a reset:
  the increase of that interval is the new value (counted up from 0), and
  since that misses what was counted before the reset, the rate of a reset
  row is never taken below the previous row's. So a reset is not an
  anomaly, while a change in the rate is. A point at or before the previous
  one's time (a resend) repeats the previous rate. The expected value and
  band are reported in the counter's own units: what the counter would read
  had it grown at the expected rate (at the band's rates) since the previous
  point. A counter's first point has no rate: an inlier with score 0.

Defaults change nothing: `build_model` returns the plain model, so its model
file and its verdicts are the same as before these fields existed. Otherwise
the model file holds a `DeclaredModel` around the model: the three settings
and one float more.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from metricwatch.detection.models import create_model
from metricwatch.detection.models.base import INLIER, OUTLIER, AnomalyModel, Scores
from metricwatch.errors import ModelError

DIRECTIONS = ("both", "up", "down")
KINDS = ("gauge", "counter")
DIRECTION = "direction"  # `silenced` of a row as rare as an alarm, on the side the metric declared harmless
_SAME_SPAN = 2 * 86400.0  # a block at most this long whose ends have one offset has it throughout
_GRID = 6 * 3600.0  # offsets are read this often between a block's first and last row, then bisected
# datetime's range, a day in from either end: a nonsense timestamp gets the offset of the nearest end
_LOWEST, _HIGHEST = -62135596800.0 + 86400.0, 253402300799.0 - 86400.0


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; ValueError naming it if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as \"Europe/Berlin\"") from None


@dataclass(frozen=True)
class Declared:
    timezone: str = "UTC"
    direction: str = "both"
    kind: str = "gauge"

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str):
            raise ValueError(f"'timezone' must be an IANA time zone name (a string), got {self.timezone!r}")
        zone(self.timezone)
        if self.direction not in DIRECTIONS:
            raise ValueError(f"'direction' must be one of {', '.join(DIRECTIONS)}; got {self.direction!r}")
        if self.kind not in KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(KINDS)}; got {self.kind!r}")

    @property
    def is_default(self) -> bool:
        return self == DEFAULT


DEFAULT = Declared()


def _offset(tz: ZoneInfo, t: float) -> float:
    return datetime.fromtimestamp(t, tz=tz).utcoffset().total_seconds()


def utc_offsets(timestamps: np.ndarray, name: str) -> np.ndarray:
    """Seconds the zone's wall clock is ahead of UTC at each timestamp (epoch seconds, UTC).

    Exact at every change of the zone's offset, provided the offset never
    changes twice within 2 days (true of every zone in use): a block
    spanning at most 2 days whose ends agree has one offset (a scored
    point's context: 2 reads); otherwise the offset is read at the edges of
    each 6-hour cell that holds a row and, in a cell whose edges differ, the
    second of the change is found by bisection. About 4 reads per day the
    rows span, whatever their number; a nonsense timestamp far away costs 2 more.
    """
    ts = np.asarray(timestamps, np.float64)
    out = np.zeros(len(ts))
    finite = np.isfinite(ts)
    if not finite.any():
        return out
    tz = zone(name)
    t = np.clip(ts[finite], _LOWEST, _HIGHEST)
    lo, hi = float(t.min()), float(t.max())
    if hi - lo <= _SAME_SPAN:
        first = _offset(tz, lo)
        if _offset(tz, hi) == first:
            out[finite] = first
            return out
    cells, row_cell = np.unique(np.floor(t / _GRID), return_inverse=True)
    edges = np.union1d(cells, cells + 1.0)
    at_edge = dict(zip(edges.tolist(), (_offset(tz, min(max(e * _GRID, _LOWEST), _HIGHEST)) for e in edges.tolist())))
    before = np.array([at_edge[c] for c in cells.tolist()])
    after = np.array([at_edge[c + 1.0] for c in cells.tolist()])
    change = np.full(len(cells), np.inf)  # the first second of the new offset, in cells where it changes
    for k in np.flatnonzero(before != after).tolist():
        a, b = cells[k] * _GRID, (cells[k] + 1.0) * _GRID  # offset(a) is the old one, offset(b) the new
        while b - a > 1.0:
            mid = float(np.floor((a + b) / 2.0))
            if _offset(tz, mid) == before[k]:
                a = mid
            else:
                b = mid
        change[k] = b
    out[finite] = np.where(t < change[row_cell], before[row_cell], after[row_cell])
    return out


def local_clock(timestamps: np.ndarray, name: str) -> np.ndarray:
    """Each timestamp as the zone's wall clock, in seconds since 1970-01-01 00:00 of that clock."""
    ts = np.asarray(timestamps, np.float64)
    if name == "UTC":
        return ts
    return ts + utc_offsets(ts, name)


def counter_rates(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Increase per second since the previous row, the rate a counter is judged by (row 0: NaN).

    A decrease is a reset: the interval's increase is the new value, counted
    up from 0. That is only a lower bound (what was counted before the reset
    in that interval is lost), so a reset row's rate is never below the
    previous row's: a restart is not a dip. A row at or before the previous
    row's time (a resend, a step back) repeats the previous rate (0 if none).
    """
    ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
    rates = np.full(len(x), np.nan)
    if len(x) < 2:
        return rates
    dt, dx = np.diff(ts), np.diff(x)
    forward = dt > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(dx >= 0, dx, x[1:]) / np.where(forward, dt, 1.0)
    for k in np.flatnonzero(~forward | (dx < 0)).tolist():  # resets and steps back: few, in row order
        prev = float(r[k - 1]) if k > 0 else np.nan
        if not forward[k]:
            r[k] = prev if np.isfinite(prev) else 0.0
        elif np.isfinite(prev) and r[k] < prev:
            r[k] = prev
    rates[1:] = r
    return rates


class DeclaredModel:
    """A model trained and scored as its metric's declaration says (time zone, direction, kind)."""

    def __init__(self, model: AnomalyModel, declared: Declared) -> None:
        self.model = model
        self.declared = declared
        self.context_points = int(getattr(model, "context_points", 0)) + (declared.kind == "counter")
        self.reference = float("nan")  # the training median (of the rates, for a counter): the side of a row
        # for a model that reports no expected value

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def sampling_step(self) -> float:
        """The wrapped model's training step in seconds (0 if it does not say): what the context spans."""
        return float(getattr(self.model, "sampling_step", 0.0) or 0.0)

    def _view(self, timestamps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the model's timestamps, the model's values): local clock, and rates for a counter (row 0 NaN)."""
        ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
        clock = local_clock(ts, self.declared.timezone)
        return clock, (counter_rates(ts, x) if self.declared.kind == "counter" else x)

    @property
    def _skip(self) -> int:
        return 1 if self.declared.kind == "counter" else 0  # a counter's first row has no rate

    def fit(self, timestamps: np.ndarray, values: np.ndarray) -> "DeclaredModel":
        clock, x = self._view(timestamps, values)
        clock, x = clock[self._skip:], x[self._skip:]
        if len(x) == 0:
            raise ModelError("a counter needs at least 2 points to have a rate")
        self.model.fit(clock, x)
        finite = x[np.isfinite(x)]
        self.reference = float(np.median(finite)) if len(finite) else float("nan")
        return self

    def accept(self, timestamps: np.ndarray, values: np.ndarray, accepted: np.ndarray) -> None:
        """Feedback, for a model that learns from it (`detection.feedback`); ignored otherwise."""
        learn = getattr(self.model, "accept", None)
        if learn is None:
            return
        clock, x = self._view(timestamps, values)
        accepted = np.asarray(accepted, dtype=bool)
        if len(x) > self._skip:
            learn(clock[self._skip:], x[self._skip:], accepted[self._skip:])

    def score(self, timestamps: np.ndarray, values: np.ndarray, start: int = 0) -> Scores:
        ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
        clock, y = self._view(ts, x)
        skip = self._skip
        if skip and start == 0:  # the first row has no rate: an inlier, the rest scored after it
            got = self.model.score(clock[1:], y[1:], 0) if len(x) > 1 else None
            got = _prepend_neutral(got)
        else:
            got = self.model.score(clock[skip:], y[skip:], start - skip)
        if self.declared.direction != "both":
            _drop_other_side(got, y[start:], self.declared.direction, self.reference)
        if self.declared.kind == "counter":
            _in_counter_units(got, ts, x, y, start)
        return got


def _column(got: Scores, name: str, fill: Any) -> np.ndarray | None:
    column = getattr(got, name)
    if column is None:
        return None
    return np.concatenate((np.array([fill], dtype=np.asarray(column).dtype), column))


def _prepend_neutral(got: Scores | None) -> Scores:
    """`got` for rows 1.., with row 0 as an inlier of score 0 and no explanation in front."""
    if got is None:
        return Scores(np.zeros(1), np.full(1, INLIER, dtype=np.int8))
    return Scores(score=np.concatenate(([0.0], got.score)),
                  anomaly=np.concatenate((np.array([INLIER], dtype=np.int8), got.anomaly)).astype(np.int8),
                  expected=_column(got, "expected", np.nan), lower=_column(got, "lower", np.nan),
                  upper=_column(got, "upper", np.nan), reason=_column(got, "reason", None),
                  silenced=_column(got, "silenced", None))


def _drop_other_side(got: Scores, values: np.ndarray, direction: str, reference: float) -> None:
    """Outliers on the side `direction` calls harmless become inliers that say `silenced` = "direction"."""
    side = got.expected if got.expected is not None else np.full(len(values), reference)
    with np.errstate(invalid="ignore"):
        other = values < side if direction == "up" else values > side
    rows = (got.anomaly == OUTLIER) & other
    if got.reason is not None:
        rows &= got.reason != "stuck"  # a flat value is no direction
    if not rows.any():
        return
    got.anomaly = np.where(rows, INLIER, got.anomaly).astype(np.int8)
    if got.reason is not None:
        got.reason = np.where(rows, None, got.reason)
    silenced = got.silenced if got.silenced is not None else np.full(len(rows), None, dtype=object)
    got.silenced = np.where(rows, DIRECTION, silenced)


def _in_counter_units(got: Scores, ts: np.ndarray, x: np.ndarray, rates: np.ndarray, start: int) -> None:
    """Expected value and band from rates to the counter's units.

    The value the counter would read had its rate over the interval been the
    expected one (the band's): the previous value (0 after a reset) plus that
    rate times the seconds since it, i.e. value + (rate wanted - rate seen) * dt.
    """
    rows = np.arange(start, len(x))
    prev = np.maximum(rows - 1, 0)
    dt = np.where(rows > 0, np.maximum(ts[rows] - ts[prev], 0.0), np.nan)
    seen = rates[rows]
    for name in ("expected", "lower", "upper"):
        column = getattr(got, name)
        if column is not None:
            setattr(got, name, x[rows] + (np.asarray(column, np.float64) - seen) * dt)


def build_model(name: str, params: dict[str, Any] | None = None, declared: Declared = DEFAULT) -> AnomalyModel:
    """An untrained model for a metric: the plain model when the declaration is the default."""
    model = create_model(name, params)
    return model if declared.is_default else DeclaredModel(model, declared)
