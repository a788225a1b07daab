"""The local stand-in for Cloud Scheduler: fires each declared job on its cron, in its time zone.

Like Cloud Scheduler it POSTs to the function with `X-CloudScheduler-ScheduleTime`
(so collectors stamp points with it and de-duplicate retries), waits at most the
job's attempt deadline, and retries a failed attempt with the declared backoff.
Each run's outcome is logged. The scheduler only fires; functions do the work.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import requests
from croniter import croniter

from metricwatch.schedule import ScheduledJob
from metricwatch.timeutil import utcnow

log = logging.getLogger("metricwatch.scheduler")
Clock = Callable[[], datetime]


def next_fire(job: ScheduledJob, after: datetime) -> datetime:
    """The job's next tick strictly after `after`, computed in its time zone (DST included), as UTC."""
    local = after.astimezone(ZoneInfo(job.time_zone))
    return croniter(job.cron, local).get_next(datetime).astimezone(timezone.utc)


def backoff(job: ScheduledJob, attempt: int) -> float:
    """Seconds before retry number `attempt` (1-based): doubling from min, capped at max."""
    r = job.retry
    return float(min(r["min_backoff_seconds"] * 2 ** min(attempt - 1, r["max_doublings"]), r["max_backoff_seconds"]))


def rfc3339(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _outcome(resp: requests.Response) -> str:
    try:
        body: Any = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    if isinstance(body, dict) and "stored" in body:
        return f"stored {body['stored']}, duplicates skipped {body.get('duplicates_skipped', 0)}"
    if isinstance(body, dict) and "models" in body:
        told = f"models {len(body['models'])}, skipped {len(body['skipped'])}, failed {len(body['failed'])}"
        if body.get("already_trained"):
            told += f", already trained {body['already_trained']}"
        if "stopped" in body:
            told += f"; stopped ({body['stopped']}), not reached {body.get('not_reached')}"
        return told
    if isinstance(body, dict) and "deferred" in body:  # notify
        return (f"queued {body.get('queued')}, sent {body['sent']}, deferred {body['deferred']}, "
                f"failed {len(body.get('failed', []))}, dropped {body.get('dropped')}")
    return str(body)[:200]


class LocalScheduler:
    """Run `run()` in a thread; `stop` (a threading.Event) ends it and any backoff wait."""

    def __init__(self, jobs: list[ScheduledJob], base_url: str, stop: threading.Event,
                 clock: Clock = utcnow) -> None:
        self.jobs = jobs
        self.base_url = base_url
        self.stop = stop
        self.clock = clock
        self.upcoming = {job.name: next_fire(job, clock()) for job in jobs}

    def run(self) -> None:
        by_name = {job.name: job for job in self.jobs}
        while not self.stop.is_set() and self.upcoming:
            now = self.clock()
            for name, at in list(self.upcoming.items()):
                if at <= now:  # after a sleep (laptop lid) only the latest missed tick fires, as Cloud Scheduler
                    self.upcoming[name] = next_fire(by_name[name], now)
                    threading.Thread(target=self.fire, args=(by_name[name], at), daemon=True,
                                     name=f"fire-{name}").start()
            wait = (min(self.upcoming.values()) - self.clock()).total_seconds()
            self.stop.wait(max(0.05, min(wait, 60.0)))

    def attempt(self, job: ScheduledJob, at: datetime, number: int) -> bool:
        """One POST as Cloud Scheduler makes it; True when the function answered 2xx."""
        headers = {"X-CloudScheduler": "true", "X-CloudScheduler-JobName": job.name,
                   "X-CloudScheduler-ScheduleTime": rfc3339(at), "User-Agent": "Google-Cloud-Scheduler"}
        started = time.monotonic()
        try:
            resp = requests.post(f"{self.base_url}/{job.function}", headers=headers,
                                 timeout=job.attempt_deadline_seconds)
        except requests.RequestException as exc:
            log.warning("%s %s attempt %d: failed (%s)", job.name, rfc3339(at), number, type(exc).__name__)
            return False
        ok = 200 <= resp.status_code < 300
        log.log(logging.INFO if ok else logging.WARNING, "%s %s attempt %d: %s in %.2fs: %s", job.name,
                rfc3339(at), number, resp.status_code, time.monotonic() - started, _outcome(resp))
        return ok

    def fire(self, job: ScheduledJob, at: datetime) -> None:
        """Attempt, then retry with backoff while the retry policy allows and we are not stopping."""
        started, retry = time.monotonic(), job.retry
        for number in range(1, retry["retry_count"] + 2):
            if self.attempt(job, at, number):
                return
            if number > retry["retry_count"]:
                break
            pause = backoff(job, number)
            limit = retry["max_retry_duration_seconds"]
            if limit and time.monotonic() - started + pause > limit:
                break
            if self.stop.wait(pause):
                return
        log.error("%s %s: giving up after %d attempt(s)", job.name, rfc3339(at), number)
