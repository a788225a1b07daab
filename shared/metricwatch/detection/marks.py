"""Marked time ranges of a series, as records: what feedback is, without the numpy that uses it.

Kept apart from `detection.feedback` (which trains with marks) so that the functions that only
store and show feedback (feedback, dashboard) ship no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

NOT_ANOMALY, ANOMALY, IGNORE = "not_anomaly", "anomaly", "ignore"
KINDS = (NOT_ANOMALY, ANOMALY, IGNORE)
LEFT_OUT = (ANOMALY, IGNORE)


@dataclass(frozen=True)
class Mark:
    """A range of one series a person marked: [start, end) in epoch seconds (UTC)."""

    kind: str
    start: float
    end: float


# (metric name, labels) -> that series' marks; what the trainer is given.
FeedbackSource = Callable[[str, Mapping[str, str]], Sequence[Mark]]
