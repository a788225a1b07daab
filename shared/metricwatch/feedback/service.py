"""What giving feedback does, whoever receives it: the feedback API (`POST /feedback`) and the
dashboard's buttons (`POST /dashboard/api/feedback`) call the same code, so both check, keep and
answer alike.

- `record`: a parsed request body becomes a kept `Feedback` (a 400 naming the field when it is wrong,
  a 404 when it names no stored series); an `ignore` range also mutes the series' alerts over its
  future part with a silence. The answer is the record, how it is learnt, and that silence.
- `take_back`: deletes one (the next training no longer uses it).
- `of_series`: one series' ranges overlapping a time range, as the dashboard shades them.

HTTP parsing (JSON, body size, the path) stays with the callers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from metricwatch.alerting.matchers import matcher
from metricwatch.alerting.silences import Silence, Silences
from metricwatch.detection.marks import IGNORE
from metricwatch.errors import NotFound
from metricwatch.feedback.records import Feedback, parse_feedback

if TYPE_CHECKING:  # the runtime wires this package's store: importing it here would be a cycle
    from metricwatch.runtime import Runtime

END_OF_TIME = datetime(9999, 1, 1, tzinfo=timezone.utc)
RETRAIN = "at the next scheduled training run, or now with POST /train?metric={metric}"
SHOWN = ("id", "kind", "start", "end", "comment", "author")  # what a chart needs of each range


def _mute(feedback: Feedback, runtime: Runtime, now: datetime) -> dict[str, Any]:
    """A silence over the future part of an `ignore` range; why not, when none is made."""
    if feedback.end <= now:
        return {"muted": False, "why": "the range is over: nothing left to mute"}
    try:
        matchers = (matcher("metric", "=", feedback.metric),
                    *(matcher(k, "=", v) for k, v in sorted(feedback.labels.items())))
    except ValueError as exc:
        return {"muted": False, "why": f"no silence: {exc}"}
    silence = Silences(runtime.alerts).create(Silence(
        feedback.id, matchers, max(feedback.start, now), feedback.end, feedback.author or "feedback",
        f"ignore (feedback {feedback.id}): {feedback.comment}".rstrip(": ")))
    return {"muted": True, "silenceID": silence.id}


def record(runtime: Runtime, body: Any, now: datetime) -> dict[str, Any]:
    """Keep the feedback `body` describes (as POST /feedback takes it); the answer's body (for a 201)."""
    feedback = parse_feedback(body, now)
    if runtime.store.latest_point(feedback.metric, feedback.labels, END_OF_TIME) is None:
        raise NotFound(f"no series {feedback.metric} with labels {feedback.labels}: feedback must name a stored "
                       "series exactly (see GET /query)", field="labels" if feedback.labels else "metric")
    runtime.feedback.add(feedback)
    answer = {**feedback.to_dict(), "retrain": RETRAIN.format(metric=feedback.metric)}
    if feedback.kind == IGNORE:
        answer["alerts"] = _mute(feedback, runtime, now)
    return answer


def take_back(runtime: Runtime, feedback_id: str) -> dict[str, Any]:
    """Delete one piece of feedback (404 naming `id` when there is none); the deleted record."""
    return runtime.feedback.delete(feedback_id).to_dict()


def of_series(runtime: Runtime, metric: str, labels: Mapping[str, str], start: datetime,
              end: datetime) -> list[dict[str, Any]]:
    """The ranges of the series `metric`/`labels` (that exact label set, not every series including it)
    overlapping [start, end), oldest first, each with `SHOWN` fields only."""
    return [{k: v for k, v in f.to_dict().items() if k in SHOWN}
            for f in runtime.feedback.overlapping(metric, labels, start, end)]
