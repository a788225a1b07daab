"""`robust_zscore`: how many robust standard deviations a value is from the training median.

The simplest model worth trusting: median and MAD ignore the outliers that
are already in the history, the verdict is explainable in one sentence
("expected about 100, normal band 94-106"), and it needs no context points.
It knows nothing of seasonality or trends; use it for flat metrics.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from metricwatch.detection.models.base import Scores, verdicts
from metricwatch.detection.models.rolling import robust_spread
from metricwatch.errors import ModelError


# math.erf over an array: the one thing scipy was shipped for.
_erf = np.vectorize(math.erf, otypes=[np.float64])


class RobustZScoreModel:
    name: ClassVar[str] = "robust_zscore"
    context_points = 0

    def __init__(self, z_threshold: float = 5.0, min_scale: float = 1e-9) -> None:
        if not z_threshold > 0 or not min_scale > 0:
            raise ValueError("z_threshold and min_scale must be positive")
        self.z_threshold = float(z_threshold)
        self.min_scale = float(min_scale)
        self.median = math.nan
        self.scale = math.nan

    def fit(self, timestamps: np.ndarray, values: np.ndarray) -> "RobustZScoreModel":
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            raise ModelError("cannot train on an empty series")
        if not np.isfinite(values).all():
            raise ModelError("training data holds non-finite values")
        self.median = float(np.median(values))
        self.scale = robust_spread(values, self.min_scale)  # MAD, or the trimmed mean deviation if larger
        return self

    def score(self, timestamps: np.ndarray, values: np.ndarray, start: int = 0) -> Scores:
        if math.isnan(self.median):
            raise ModelError("model is not trained")
        z = np.abs(np.asarray(values[start:], dtype=np.float64) - self.median) / self.scale
        score = _erf(z / math.sqrt(2.0))  # probability a normal value is closer to the median
        n = len(z)
        band = self.z_threshold * self.scale
        return Scores(score=score, anomaly=verdicts(z, self.z_threshold),
                      expected=np.full(n, self.median), lower=np.full(n, self.median - band),
                      upper=np.full(n, self.median + band))
