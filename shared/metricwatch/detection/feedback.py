"""What people said about a series' past, as training sees it: marked time ranges.

- `anomaly` (a confirmed or missed incident) and `ignore` (planned work) rows
  are left out of the training data, so that one outage does not teach the model that
  outages are normal;
- `not_anomaly` rows (a false alarm) stay in, and a model that can learn from
  them (`LearnsFromFeedback`) is shown which rows they were.

Detection knows nothing of where feedback is kept. The trainer is handed a
function from a series to its marks (`Detector(feedback=...)`), so this
package stays below the one that stores and serves feedback.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, TypeVar, runtime_checkable

import numpy as np

from metricwatch.detection.marks import ANOMALY, IGNORE, KINDS, LEFT_OUT, NOT_ANOMALY, FeedbackSource, Mark
from metricwatch.detection.models.base import MIN_TRAIN_POINTS
from metricwatch.errors import ModelError

__all__ = ["ANOMALY", "IGNORE", "KINDS", "LEFT_OUT", "NOT_ANOMALY", "FeedbackSource", "Mark", "covered", "split",
           "fit_with_feedback", "earlier_ranges", "feedback_report", "LearnsFromFeedback"]
T = TypeVar("T", bound=Any)


@runtime_checkable
class LearnsFromFeedback(Protocol):
    def accept(self, timestamps: np.ndarray, values: np.ndarray, accepted: np.ndarray) -> None:
        """After `fit` on the same rows: rows where `accepted` is True were called normal by a person."""
        ...


def covered(timestamps: np.ndarray, marks: Sequence[Mark], kinds: Sequence[str]) -> np.ndarray:
    """Rows inside any mark of these kinds."""
    ts = np.asarray(timestamps, np.float64)
    inside = np.zeros(len(ts), dtype=bool)
    for mark in marks:
        if mark.kind in kinds:
            inside |= (ts >= mark.start) & (ts < mark.end)
    return inside


def split(timestamps: np.ndarray, marks: Sequence[Mark]) -> tuple[np.ndarray, np.ndarray]:
    """(rows to train on, of those the rows called normal): the one rule both trainer and backtest follow."""
    keep = ~covered(timestamps, marks, LEFT_OUT)
    return keep, covered(timestamps, marks, (NOT_ANOMALY,))[keep]


def fit_with_feedback(model: T, timestamps: np.ndarray, values: np.ndarray, marks: Sequence[Mark],
                      earlier: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> T:
    """`model.fit` on the rows not left out, then `accept` on those called normal (if the model learns).

    `earlier`: (timestamps, values) stretches from before the training
    interval, each holding older `not_anomaly` marks with the model's
    context before them (`earlier_ranges` says which): each is shown to
    `accept` too, so a false alarm stays accepted as long as its mark is
    kept, not only while its rows are in the training interval. Fitting
    never sees them.
    """
    if not marks:
        return model.fit(timestamps, values)
    ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
    keep, accepted = split(ts, marks)
    if keep.sum() < MIN_TRAIN_POINTS:
        raise ModelError(f"{int(keep.sum())} points are left once the ranges marked anomaly or ignore are "
                         f"left out; need at least {MIN_TRAIN_POINTS}")
    fitted = model.fit(ts[keep], x[keep])
    if not isinstance(fitted, LearnsFromFeedback):
        return fitted
    if accepted.any():
        fitted.accept(ts[keep], x[keep], accepted)
    for stretch_ts, stretch_x in earlier:
        stretch_ts, stretch_x = np.asarray(stretch_ts, np.float64), np.asarray(stretch_x, np.float64)
        keep, accepted = split(stretch_ts, marks)
        if accepted.any():
            fitted.accept(stretch_ts[keep], stretch_x[keep], accepted)
    return fitted


def earlier_ranges(marks: Sequence[Mark], since: float, context: float) -> list[tuple[float, float]]:
    """[start, end) time ranges to read for `fit_with_feedback(earlier=...)`: merged, in time order.

    Each `not_anomaly` mark that starts before `since` (the training
    interval's start), from `context` seconds before it (the model's
    context points times the sampling step) to its end or `since`.
    """
    spans = sorted((m.start - context, min(m.end, since)) for m in marks if m.kind == NOT_ANOMALY and m.start < since)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def feedback_report(timestamps: np.ndarray, marks: Sequence[Mark]) -> dict[str, Any]:
    """What a training did with feedback, for its answer: nothing when there was none.

    Rows are counted, not only marks: a mark over a range with no points changed nothing.
    """
    if not marks:
        return {}
    keep, accepted = split(timestamps, marks)
    return {"feedback": {"marks": {kind: sum(m.kind == kind for m in marks) for kind in KINDS},
                         "rows_left_out": int((~keep).sum()), "rows_accepted": int(accepted.sum())}}
