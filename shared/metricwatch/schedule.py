"""The schedule declaration: `resources/schedules.json`, every scheduled function in one file.

Terraform (`infra/scheduler.tf`, via `jsondecode`) and the local scheduler
(`make run`) both read this file, so a schedule is written down exactly once.
Each entry: `name` (the Cloud Scheduler job), `function` (a directory under
`functions/`, which is also the deployed function's name and its local path
`/<function>`), `cron` (unix-cron, as Cloud Scheduler takes it),
`time_zone` (IANA), `attempt_deadline_seconds`, `retry` (Cloud Scheduler's
retry config), and an optional `description`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from metricwatch.errors import ConfigError
from metricwatch.layout import function_names

FIELDS = {"name", "function", "description", "cron", "time_zone", "attempt_deadline_seconds", "retry"}
RETRY_FIELDS = {"retry_count", "min_backoff_seconds", "max_backoff_seconds", "max_doublings",
                "max_retry_duration_seconds"}


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    function: str
    cron: str
    time_zone: str
    attempt_deadline_seconds: int
    retry: dict[str, int]
    description: str = ""


def _check_retry(where: str, retry: Any) -> dict[str, int]:
    if not isinstance(retry, dict) or set(retry) != RETRY_FIELDS:
        raise ConfigError(f"{where}: 'retry' must have exactly {sorted(RETRY_FIELDS)}")
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in retry.values()):
        raise ConfigError(f"{where}: 'retry' values must be non-negative integers")
    if retry["min_backoff_seconds"] > retry["max_backoff_seconds"]:
        raise ConfigError(f"{where}: 'retry' min_backoff_seconds exceeds max_backoff_seconds")
    return retry


def _job(raw: Any, index: int, functions: set[str] | None) -> ScheduledJob:
    where = f"schedule entry {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    where = f"schedule entry {index} ({raw.get('name')!r})"
    if set(raw) - FIELDS or not {"name", "function", "cron"} <= set(raw):
        raise ConfigError(f"{where}: fields must be {sorted(FIELDS)} (name, function, cron required); "
                          f"unknown: {sorted(set(raw) - FIELDS)}")
    if not croniter.is_valid(str(raw["cron"])) or len(str(raw["cron"]).split()) != 5:
        raise ConfigError(f"{where}: cron {raw['cron']!r} is not a 5-field unix-cron expression")
    if functions is not None and raw["function"] not in functions:
        raise ConfigError(f"{where}: unknown function {raw['function']!r}; known: {sorted(functions)}")
    try:
        ZoneInfo(raw.get("time_zone", "Etc/UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {raw.get('time_zone')!r}") from None
    deadline = raw.get("attempt_deadline_seconds", 180)
    if not isinstance(deadline, int) or not 15 <= deadline <= 1800:
        raise ConfigError(f"{where}: attempt_deadline_seconds must be an integer from 15 to 1800")
    return ScheduledJob(name=raw["name"], function=raw["function"], cron=raw["cron"],
                        time_zone=raw.get("time_zone", "Etc/UTC"), attempt_deadline_seconds=deadline,
                        retry=_check_retry(where, raw.get("retry")), description=raw.get("description", ""))


def parse_schedule(raw: Any, functions: set[str] | None = None) -> list[ScheduledJob]:
    """Validate every entry; `functions` is the set of known function names, when known."""
    if not isinstance(raw, list):
        raise ConfigError("schedule: the file must hold a JSON list of jobs")
    jobs = [_job(item, i, functions) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, job in enumerate(jobs):
        if job.name in seen:
            raise ConfigError(f"schedule entry {i}: duplicate job name {job.name!r}")
        seen.add(job.name)
    return jobs


def load_schedule(path: str | Path, functions_dir: str | Path | None = None) -> list[ScheduledJob]:
    functions = None
    if functions_dir is not None:
        functions = set(function_names(functions_dir))
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"schedule file {path}: {exc}") from None
    return parse_schedule(raw, functions)
