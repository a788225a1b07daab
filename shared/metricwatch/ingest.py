"""Scoring and storing points: the one path every point takes, pushed or collected."""

from __future__ import annotations

from typing import Any, Sequence

from metricwatch.detection.detector import Detector
from metricwatch.points import Point
from metricwatch.store.base import StoredPoint


def describe(stored: StoredPoint) -> dict[str, Any]:
    p = stored.point
    out: dict[str, Any] = {"name": p.name, "labels": p.labels, "timestamp": p.timestamp.isoformat(),
                           "value": p.value}
    if stored.verdict:
        out.update(stored.verdict)
    return out


def score_and_store(detector: Detector, points: Sequence[Point]) -> list[StoredPoint]:
    """Score all points first, then write them in one batch.

    Invalid input never gets here (validation refuses the whole batch first), and
    a scoring failure writes nothing. If MongoDB refuses part of the batch, the
    `StoreError` says how many points were written.
    """
    verdicts = detector.score_points(points)
    stored = [StoredPoint(point=p, verdict=v) for p, v in zip(points, verdicts)]
    detector.store.insert(stored)
    return stored
