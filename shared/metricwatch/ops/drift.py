"""Compare deployed Cloud Scheduler jobs with the schedule declaration.

Terraform creates the jobs from `resources/schedules.json`; someone may still
pause, edit or delete one in the console, or skip an apply. This compares what
Cloud Scheduler holds with what the declaration says, field by field, so the
difference is named rather than discovered when a metric stops arriving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable
from urllib.parse import urlparse

from metricwatch.schedule import ScheduledJob


@dataclass(frozen=True)
class Drift:
    missing: list[str] = field(default_factory=list)        # declared, not deployed
    unexpected: list[str] = field(default_factory=list)     # deployed here, not declared (may be another app's)
    changed: dict[str, list[str]] = field(default_factory=dict)  # job -> one line per differing field

    @property
    def ok(self) -> bool:
        """Unexpected jobs alone are not drift: the location may hold other applications' jobs."""
        return not self.missing and not self.changed

    def lines(self) -> list[str]:
        out = [f"missing: {name} (declared, not deployed: run `make deploy`)" for name in self.missing]
        out += [f"changed: {name}: {diff}" for name, diffs in sorted(self.changed.items()) for diff in diffs]
        out += [f"not declared: {name} (ignored)" for name in self.unexpected]
        return out or ["no drift: every declared job is deployed as declared"]


def _seconds(value: Any) -> int | None:
    return int(value.total_seconds()) if isinstance(value, timedelta) else None


def declared_fields(job: ScheduledJob) -> dict[str, Any]:
    """The fields Terraform sets on a job, in the declaration's own units."""
    return {"cron": job.cron, "time_zone": job.time_zone, "attempt_deadline_seconds": job.attempt_deadline_seconds,
            "retry": dict(job.retry), "http_method": "POST", "function": job.function, "state": "ENABLED"}


def deployed_fields(job: Any) -> dict[str, Any]:
    """The same fields read back from a `scheduler_v1.Job` (durations arrive as timedelta)."""
    retry = job.retry_config
    host = urlparse(job.http_target.uri).hostname or ""
    return {"cron": job.schedule, "time_zone": job.time_zone,
            "attempt_deadline_seconds": _seconds(job.attempt_deadline),
            "retry": {"retry_count": retry.retry_count, "min_backoff_seconds": _seconds(retry.min_backoff_duration),
                      "max_backoff_seconds": _seconds(retry.max_backoff_duration),
                      "max_doublings": retry.max_doublings,
                      "max_retry_duration_seconds": _seconds(retry.max_retry_duration)},
            "http_method": job.http_target.http_method.name,
            # A function's Cloud Run URL starts with its service name, which is the function name.
            "function": host.split(".")[0],
            "state": job.state.name}


def _differences(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    diffs = []
    for key, value in want.items():
        deployed = got.get(key)
        if key == "function":
            if not str(deployed).startswith(f"{value}-"):
                diffs.append(f"target: declared function {value!r}, deployed host {deployed!r}")
        elif deployed != value:
            diffs.append(f"{key}: declared {value!r}, deployed {deployed!r}")
    return diffs


def compare(declared: Iterable[ScheduledJob], deployed: Iterable[Any]) -> Drift:
    """Match jobs by their short name (the last segment of `projects/.../jobs/<name>`)."""
    by_name = {job.name.rsplit("/", 1)[-1]: job for job in deployed}
    wanted = {job.name: job for job in declared}
    changed = {}
    for name, job in wanted.items():
        if name in by_name and (diffs := _differences(declared_fields(job), deployed_fields(by_name[name]))):
            changed[name] = diffs
    return Drift(missing=sorted(set(wanted) - set(by_name)), unexpected=sorted(set(by_name) - set(wanted)),
                 changed=changed)
