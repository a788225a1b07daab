"""Scoring and storing points: the one path every point takes, pushed or collected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from metricwatch.points import Point
from metricwatch.store.base import StoredPoint

if TYPE_CHECKING:  # types only: query imports `describe` and ships no detector
    from metricwatch.alerting.tracker import IncidentTracker
    from metricwatch.detection.detector import Detector


def describe(stored: StoredPoint) -> dict[str, Any]:
    p = stored.point
    out: dict[str, Any] = {"name": p.name, "labels": p.labels, "timestamp": p.timestamp.isoformat(),
                           "value": p.value}
    if stored.verdict:
        out.update(stored.verdict)
    return out


def score_and_store(detector: Detector, points: Sequence[Point],
                    incidents: IncidentTracker | None = None) -> tuple[list[StoredPoint], dict[str, int]]:
    """Score all points first, write them in one batch, then advance their series' incidents.

    Invalid input never gets here (validation refuses the whole batch first), and
    a scoring failure writes nothing. If MongoDB refuses part of the batch, the
    `StoreError` says how many points were written. Incidents move only after the
    points are stored: an incident never stands on a point that was not kept.
    """
    if incidents is None:
        return detector.write(points), {}
    with incidents.serial:  # one write and its incident bookkeeping at a time (`IncidentTracker.serial`)
        stored = detector.write(points)
        return stored, incidents.track(stored)
