"""The interface every anomaly model implements.

A model is trained on one series' history (`fit`) and then scores new points
(`score`). Scoring is streaming by contract: the result for row i may depend
only on rows <= i. Rows before `start` are context (recent history the caller
already has) and are not scored; a model says how much context it wants in
`context_points`, so the live path fetches exactly that from the store and the
backtest passes exactly that, and both give the same answer.

Timestamps are float epoch seconds (UTC); values are float64. Rows come in
the order they were received, which for real data is not always strictly
increasing in time: models must not sort, drop or crash on duplicates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

INLIER, OUTLIER = 1, -1
MIN_TRAIN_POINTS = 10  # the trainer (and so the backtest) skips a series with fewer points in its interval


@dataclass
class Scores:
    """What a model says about each scored row.

    `score` is in [0, 1] (higher is more anomalous); `anomaly` is -1 (outlier)
    or 1 (inlier). `expected`, `lower` and `upper`, where a model has them,
    explain a verdict: the value the model expected and its normal band;
    `reason`, where a model has it, names what made an outlier rare (a string
    on outlier rows, None elsewhere). `silenced`, where a model has it, names
    the same on an inlier row that was as rare as an alarm but belongs to an
    incident already reported (one alarm per event): the answer to "why was
    this not flagged?".
    """

    score: np.ndarray
    anomaly: np.ndarray
    expected: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    reason: np.ndarray | None = None
    silenced: np.ndarray | None = None

    def row(self, i: int) -> dict[str, float | int | str]:
        """Row `i` as a verdict; plain floats tested by `math.isfinite` (np.isfinite on one number costs more
        than the rest of the row, and a push of 1,000 series builds 1,000 rows)."""
        out: dict[str, float | int | str] = {"anomaly_score": float(self.score[i]), "anomaly": int(self.anomaly[i])}
        for name in ("expected", "lower", "upper"):
            column = getattr(self, name)
            if column is not None and math.isfinite(value := float(column[i])):
                out[name] = value
        for name in ("reason", "silenced"):
            column = getattr(self, name)
            if column is not None and column[i]:
                out[name] = str(column[i])
        return out


@runtime_checkable
class AnomalyModel(Protocol):
    """Constructor arguments are the model's `train_params`, kept as attributes of the same name."""

    name: ClassVar[str]
    context_points: int

    def fit(self, timestamps: np.ndarray, values: np.ndarray) -> "AnomalyModel":
        """Learn what normal looks like from one series' history."""
        ...

    def score(self, timestamps: np.ndarray, values: np.ndarray, start: int = 0) -> Scores:
        """Score rows `start:`; rows before `start` are context only."""
        ...


def get_params(model: Any) -> dict[str, Any]:
    """The constructor arguments of a model, read back from its attributes."""
    import inspect

    names = [p for p in inspect.signature(type(model).__init__).parameters if p != "self"]
    return {n: getattr(model, n) for n in names}


def verdicts(score: np.ndarray, threshold: float) -> np.ndarray:
    """-1 where the score reaches the threshold, 1 elsewhere."""
    return np.where(score >= threshold, OUTLIER, INLIER).astype(np.int8)
