"""The few exception types the system raises on purpose.

Each error that can reach an HTTP caller carries its status on the class, so
one handler (`metricwatch.http`) turns any of them into a JSON answer and a
function's `main.py` never catches anything itself.
"""

from __future__ import annotations


class MetricwatchError(Exception):
    """Base class; `status` is the HTTP status a caller sees."""

    status = 500

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, object]:
        return {"error": self.message, **self.details}


class ConfigError(MetricwatchError):
    """A setting or a declaration file is wrong; names the variable or entry."""

    status = 500


class InvalidInput(MetricwatchError):
    """The caller sent something we refuse; `field`/`index` say where."""

    status = 400

    @classmethod
    def at(cls, message: str, field: str, index: int | None = None) -> "InvalidInput":
        """An error about `field` of point `index` of a batch (the message says which point too)."""
        where = f"point {index}: " if index is not None else ""
        return cls(f"{where}{message}", field=field, index=index)


class Unauthorized(MetricwatchError):
    """No bearer token, or one that is not configured."""

    status = 401


class Forbidden(MetricwatchError):
    """A valid token without the scope the call needs; `scope` names it."""

    status = 403


class NotFound(MetricwatchError):
    status = 404


class MethodNotAllowed(MetricwatchError):
    status = 405


class Conflict(MetricwatchError):
    """The request clashes with another: the same Idempotency-Key still in progress, or reused for another body."""

    status = 409


class PayloadTooLarge(MetricwatchError):
    status = 413


class UnsupportedMediaType(MetricwatchError):
    status = 415


class SourceUnavailable(MetricwatchError):
    """A collector's source failed or timed out; 502 so Cloud Scheduler retries."""

    status = 502


class StoreUnavailable(MetricwatchError):
    """MongoDB cannot be reached; 503 so the caller retries later."""

    status = 503


class DispatchFailed(MetricwatchError):
    """The queue refused a training run's shards (503): the scheduler's retry dispatches them again.

    Task names come from the run and the shard's content, so shards the queue already
    took are not queued twice by that retry; `created` says how many it took this time.
    """

    status = 503


class StoreError(MetricwatchError):
    """MongoDB answered but refused: bad credentials, or part of a batch rejected (500, said how much)."""

    status = 500


class ModelError(MetricwatchError):
    """A model could not be trained, saved or loaded."""

    status = 500


class DeliveryFailed(MetricwatchError):
    """A receiver did not take a notification (down, slow, 5xx); it stays in the outbox for a retry.

    `unreachable`: the receiver did not answer at all (refused, timed out), so a run
    stops trying it and defers its other notifications instead of waiting on each.
    """

    status = 502

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
