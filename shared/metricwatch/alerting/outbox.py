"""Delivering the outbox: at least once, with backoff, inside the run's deadline, nothing lost.

A notification stays `pending` until a receiver takes it (`delivered`) or it
is older than the maximum age (`dropped`, with an error log line naming it).
A failed attempt waits 10 s, then twice as long each time, up to 10 minutes.
A receiver that does not answer at all (refused, timed out) is not tried
again in the same run: its other notifications are deferred, so one dead
receiver costs one timeout per run, not one per notification. Before a
send, the run claims the notification by moving its `next_attempt_at` past
the send's timeout, so an overlapping run (a retry, a `POST /notify`) skips it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from metricwatch.alerting.receivers import Receiver
from metricwatch.alerting.store import AlertStore
from metricwatch.errors import ConfigError, DeliveryFailed
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc

log = logging.getLogger("metricwatch.notify")
FIRST_RETRY, LONGEST_RETRY = timedelta(seconds=10), timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 16), LONGEST_RETRY)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "deferred": len(self.deferred), "failed": self.failed,
                "dropped": len(self.dropped)}


class Outbox:
    def __init__(self, store: AlertStore, receivers: Callable[[str], Receiver], timeout: float,
                 max_age: timedelta) -> None:
        self.collection = store.outbox
        self.receivers = receivers  # name => Receiver; raises ConfigError (e.g. an unset ${VAR})
        self.timeout = timeout
        self.max_age = max_age

    def deliver(self, now: datetime, deadline: float) -> DeliveryReport:
        """Try every due notification, oldest first, until `deadline` (time.monotonic)."""
        report, broken = DeliveryReport(), {}
        with unavailable_as_503():
            due = list(self.collection.find({"state": "pending", "next_attempt_at": {"$lte": now}})
                       .sort("created_at", 1))
        for note in due:
            left = deadline - time.monotonic()
            if left <= 0.05 or note["receiver"] in broken:
                report.deferred.append(note["_id"])
            elif now - as_utc(note["created_at"]) > self.max_age:
                self._drop(note, now, report)
            else:
                self._attempt(note, now, min(self.timeout, left), report, broken)
        return report

    def _attempt(self, note: Mapping[str, Any], now: datetime, timeout: float, report: DeliveryReport,
                 broken: dict[str, str]) -> None:
        if not self._claim(note, now, timeout):
            report.deferred.append(note["_id"])  # another run is sending it
            return
        try:
            self.receivers(note["receiver"]).send(note["payload"], timeout, now)
        except (DeliveryFailed, ConfigError) as exc:
            self._failed(note, now, exc.message, report)
            if isinstance(exc, ConfigError) or exc.unreachable:
                broken[note["receiver"]] = exc.message
            return
        with unavailable_as_503():
            self.collection.update_one({"_id": note["_id"]}, {"$set": {"state": "delivered", "done_at": now},
                                                              "$inc": {"attempts": 1}})
        report.sent.append(note["_id"])

    def _claim(self, note: Mapping[str, Any], now: datetime, timeout: float) -> bool:
        with unavailable_as_503():
            claimed = self.collection.update_one(
                {"_id": note["_id"], "state": "pending", "next_attempt_at": note["next_attempt_at"]},
                {"$set": {"next_attempt_at": now + timedelta(seconds=timeout + 30)}})
        return claimed.modified_count == 1

    def _failed(self, note: Mapping[str, Any], now: datetime, why: str, report: DeliveryReport) -> None:
        attempts = note.get("attempts", 0) + 1
        retry_at = now + backoff(attempts)
        log.warning("notification %s to %s failed (attempt %d): %s; next attempt at %s", note["_id"],
                    note["receiver"], attempts, why, retry_at.isoformat())
        with unavailable_as_503():
            self.collection.update_one({"_id": note["_id"]}, {"$set": {"attempts": attempts, "last_error": why,
                                                                       "next_attempt_at": retry_at}})
        report.failed.append({"id": note["_id"], "receiver": note["receiver"], "error": why})

    def _drop(self, note: Mapping[str, Any], now: datetime, report: DeliveryReport) -> None:
        log.error("notification %s to %s (%s, group %s) dropped undelivered after %d attempt(s), older than "
                  "NOTIFY_MAX_AGE_SECONDS; last error: %s", note["_id"], note["receiver"], note["status"],
                  note["group_key"], note.get("attempts", 0), note.get("last_error"))
        with unavailable_as_503():
            self.collection.update_one({"_id": note["_id"]}, {"$set": {"state": "dropped", "done_at": now}})
        report.dropped.append(note["_id"])
