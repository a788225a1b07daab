"""What a person called normal: the memory `not_anomaly` feedback leaves in a model.

A false alarm marked `not_anomaly` says "this is ordinary for this series".
The model remembers it as the surprise it reached, not as raw values: each
accepted episode (accepted rows less than an hour apart, per direction:
above or below the expected value) is kept as its half-hour of the UTC day
and, per measure (far_from_expected, jump, sustained_shift), the digits of
rarity it reached, measured by the model of the day. That is its shape (a
spike is far and a jump but hardly a shift; a plateau is a shift), its
direction and its size, in the units the verdict is made in. Only rows that
reached the alert level count: the rows around an alarm that were not rare
teach nothing, and remembered they would lower every larger surprise near
them. A new row is then judged, per measure, by how far it goes beyond
what was accepted, plus a base rarity:

- **near the same time of day** (its half-hour or the one on either side):
  the base is the rarity of something seen once in the D training days
  within those 90 minutes of W rows, log10(D * W): about 2.1 digits for a
  week of 5-minute data, 1.0 for hourly. Only for data at least hourly.
- **at any time of day**, once `after` (the model's
  `accepted_anywhere_after`, 1 by default) episodes at different times of
  day (more than an hour apart) reached a size: the base is the rarity of
  something seen `after` times in D days of R rows, log10(D * R / after),
  3.3 digits for a week of 5-minute data: less slack than at the accepted
  time of day, where the pattern was seen. `after` = 2 waits for a second
  false alarm at another hour (one is then evidence about its time of day
  only); 0 accepts nothing away from the times of day accepted.

"Beyond what was accepted" allows for the noise of reading the same event
twice: a measure within `tolerance` (2 noise standard deviations, in that
measure's digits) of the accepted reading is the accepted event again and
gets the base; beyond that, every further digit counts. So a same-sized
spike is accepted, one three times its size, one the other way, or a
plateau where a spike was accepted still fires. Each measure is capped on
its own and the rarest capped one is the row's surprise; the model takes
the smaller of it and the time-of-day recurrence cap (`recurring.py`).

Why this and not a wider band or tail: a wider tail would silence every
larger event and the other direction with it (the global "raise the
threshold" feedback must not become), and the band is reported, not decided
on. What a row read is remembered in digits of the day's model, so each
training re-measures the accepted rows it is shown; the memory holds the
episodes (5 numbers each) and two small tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metricwatch.detection.models.recurring import BINS, DAY

EPISODE_GAP = 3600.0  # accepted rows closer in time than this are one episode
APART_BINS = 2  # episodes more than this many half-hours apart are at different times of day
MAX_STEP_FOR_TIME_OF_DAY = 3600.0
FEW_ROWS = 8  # rows to look up at most for the plain-float path of `Accepted.lower`


def _bins(timestamps: np.ndarray) -> np.ndarray:
    """Half-hour of the UTC day of each timestamp (the one rule for remembering and looking up;
    `Accepted.lower` computes it for one float the same way)."""
    return ((timestamps % DAY) * (BINS / DAY)).astype(np.intp)


@dataclass
class Accepted:
    episodes: np.ndarray  # (n, 2 + M): direction (0 above, 1 below), half-hour bin, digits of each measure
    near: np.ndarray | None  # (2, BINS, M): digits up to which a measure is the accepted reading there; -inf: none
    anywhere: np.ndarray  # (2, M): the same at any time of day, once `after` times of day reached it; -inf: none
    near_base: float
    anywhere_base: float

    @property
    def floor(self) -> float:
        """Rows whose every measure is at most this many digits are never capped: the caller skips them."""
        return min(self.near_base if self.near is not None else np.inf, self.anywhere_base)

    def cap(self, timestamps: np.ndarray, digits: np.ndarray, upward: np.ndarray) -> np.ndarray:
        """Each measure's digits (M, n), judged as what goes beyond what was accepted there (never more).

        Per direction: an accepted spike up says nothing about a drop.
        """
        side = (~upward).view(np.int8)
        limit = self.anywhere_base + np.maximum(digits - self.anywhere[side].T, 0.0)
        if self.near is not None:
            near = self.near[side, _bins(timestamps)].T  # (M, n)
            np.minimum(limit, self.near_base + np.maximum(digits - near, 0.0), out=limit)
        return np.minimum(digits, limit)

    def lower(self, timestamps: np.ndarray, measures: np.ndarray, upward: np.ndarray, logp: np.ndarray,
              rows: np.ndarray, stuck: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cap `rows` of `measures` (log10 p, (M, n)) in place; where that leaves a row less rare than its
        `logp` (the rarest measure after the other caps), that row's logp becomes the capped one.
        Rows in a `stuck` run keep their rarity: the memory knows nothing of stuck values.

        Returns the rows lowered and their logp before. A scored point has a
        row or two to look up: for those, plain floats (numpy's per-call cost
        is most of the time on arrays this small); the same rule either way.
        """
        if len(rows) > FEW_ROWS:
            rows = rows[~stuck[rows]]
            capped = self.cap(timestamps[rows], -measures[:, rows], upward[rows])
            mine = -capped.max(axis=0)
            lowered = mine > logp[rows]
            rows = rows[lowered]
            before = logp[rows]
            measures[:, rows] = -capped[:, lowered]
            logp[rows] = mine[lowered]
            return rows, before
        out, before = [], []
        for i in rows.tolist():
            if stuck[i]:
                continue
            side = 0 if upward[i] else 1
            digits = (-measures[:, i]).tolist()
            limits = [self.anywhere_base + max(d - a, 0.0) for d, a in zip(digits, self.anywhere[side].tolist())]
            if self.near is not None:
                near = self.near[side, int((timestamps[i] % DAY) * (BINS / DAY))].tolist()
                limits = [min(lim, self.near_base + max(d - n, 0.0)) for lim, d, n in zip(limits, digits, near)]
            capped = [min(d, lim) for d, lim in zip(digits, limits)]
            if -max(capped) > logp[i]:
                out.append(i)
                before.append(logp[i])
                measures[:, i] = [-c for c in capped]
                logp[i] = -max(capped)
        return np.array(out, dtype=np.intp), np.array(before, dtype=np.float64)


def episodes(timestamps: np.ndarray, digits: np.ndarray, upward: np.ndarray, accepted: np.ndarray,
             min_digits: float) -> np.ndarray:
    """The accepted episodes among these rows, as `Accepted.episodes` rows (possibly none).

    Rows count if accepted and at least `min_digits` rare on some measure;
    per direction, rows less than EPISODE_GAP apart are one episode, kept
    as the most any of its rows reached per measure, at the half-hour of
    its most surprising row.
    """
    m = digits.shape[0]
    idx = np.flatnonzero(accepted & (digits.max(axis=0) >= min_digits))
    out = []
    for side in (0, 1):
        mine = idx[upward[idx] == (side == 0)]
        if not len(mine):
            continue
        starts = np.flatnonzero(np.abs(np.diff(timestamps[mine], prepend=-np.inf)) > EPISODE_GAP)
        for rows in np.split(mine, starts[1:]):
            d = np.maximum(digits[:, rows], 0.0)
            peak = rows[int(np.argmax(d.max(axis=0)))]
            out.append([side, _bins(timestamps[peak:peak + 1])[0], *d.max(axis=1)])
    return np.array(out, dtype=np.float64).reshape(-1, 2 + m)


def _apart(a: int, b: int) -> bool:
    distance = abs(a - b) % BINS
    return min(distance, BINS - distance) > APART_BINS


def _anywhere(levels: np.ndarray, bins: np.ndarray, after: int) -> float:
    """The largest size reached by episodes at `after` different times of day (0 if none)."""
    seen: list[int] = []
    for k in np.argsort(-levels, kind="stable"):
        if levels[k] <= 0:
            break
        if all(_apart(int(bins[k]), b) for b in seen):
            seen.append(int(bins[k]))
            if len(seen) >= after:
                return float(levels[k])
    return 0.0


def build(found: np.ndarray, n_days: int, step: float, after: int, tolerance: np.ndarray) -> Accepted | None:
    """The memory of these episodes, for a model trained on `n_days` days of data every `step` seconds.

    `tolerance` (M,): the digits by which two readings of the same event
    may differ, per measure; a measure up to the accepted reading plus it
    is the accepted event again. None if the memory could never change a
    row: no episode, or data too coarse for a time of day with `after` = 0.
    """
    if not len(found) or step <= 0 or (step > MAX_STEP_FOR_TIME_OF_DAY and after < 1):
        return None
    m = found.shape[1] - 2
    side, bins, d = found[:, 0].astype(np.int64), found[:, 1].astype(np.int64), found[:, 2:]
    tolerance = np.asarray(tolerance, np.float64)
    near = None
    if step <= MAX_STEP_FOR_TIME_OF_DAY:
        per_bin = np.full((2, BINS, m), -np.inf)
        np.maximum.at(per_bin, (side, bins), np.where(d > 0, d, -np.inf))  # a measure that read nothing accepts nothing
        near = np.maximum(per_bin, np.maximum(np.roll(per_bin, 1, axis=1), np.roll(per_bin, -1, axis=1))) + tolerance
    anywhere = np.full((2, m), -np.inf)
    anywhere_base = np.inf  # after = 0: nothing is accepted at any time of day
    if after >= 1:
        levels = np.array([[_anywhere(d[side == s, k], bins[side == s], after) for k in range(m)] for s in (0, 1)])
        anywhere = np.where(levels > 0, levels + tolerance, -np.inf)
        anywhere_base = float(np.log10(max(n_days * DAY / step / after, 1.0)))
    rows_per_window = max(3 * DAY / BINS / step, 1.0)
    return Accepted(found, near, anywhere, float(np.log10(max(n_days, 1) * rows_per_window)), anywhere_base)
