"""`sklearn_iforest`: the original app's model, kept for compatibility.

IsolationForest over the value and calendar features of the timestamp, the
verdict from the forest's own `predict`. Kept so that model files keep the
original names; it is not a good detector for real metrics (a new day's
calendar features lie outside the training range), see the README's
detection-quality section for its measured score.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import IsolationForest

from metricwatch.detection.models.base import Scores
from metricwatch.detection.models.calendar import calendar_features
from metricwatch.detection.models.flat_forest import FlatForest
from metricwatch.errors import ModelError

FEATURES = ("hour", "day_of_week", "day_of_month", "day_of_year", "week_of_year")


def _features(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
    cal = calendar_features(timestamps)
    return np.column_stack([np.asarray(values, dtype=np.float64)] + [cal[f] for f in FEATURES])


class IsolationForestModel:
    name: ClassVar[str] = "sklearn_iforest"
    context_points = 0

    def __init__(self, n_estimators: int = 100, max_samples: Any = "auto",
                 contamination: Any = "auto", random_state: int | None = 42) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.random_state = random_state
        self._forest: FlatForest | None = None
        IsolationForest(n_estimators=n_estimators, max_samples=max_samples,
                        contamination=contamination)._validate_params()

    def fit(self, timestamps: np.ndarray, values: np.ndarray) -> "IsolationForestModel":
        if len(values) == 0:
            raise ModelError("cannot train on an empty series")
        forest = IsolationForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                                 contamination=self.contamination, random_state=self.random_state)
        forest.fit(_features(timestamps, values))
        self._forest = FlatForest(forest)
        return self

    def score(self, timestamps: np.ndarray, values: np.ndarray, start: int = 0) -> Scores:
        if self._forest is None:
            raise ModelError("model is not trained")
        X = _features(timestamps[start:], values[start:])
        raw = self._forest.score_samples(X)
        return Scores(score=np.clip(-raw, 0.0, 1.0),
                      anomaly=np.where(raw - self._forest.offset < 0, -1, 1).astype(np.int8))
