"""Silences (a time-bounded mute by matchers, made over HTTP) and recurring maintenance windows.

A silence or window that matches an alert's labels keeps its notification
from being sent; the incident is still recorded, and shows which silence
muted it. Silences have Alertmanager's fields (`matchers`, `startsAt`,
`endsAt`, `createdBy`, `comment`); expiring one sets its end to now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from croniter import croniter

from metricwatch.alerting.matchers import Matcher, all_match, parse_matcher
from metricwatch.alerting.rules import MaintenanceWindow
from metricwatch.alerting.store import AlertStore
from metricwatch.errors import InvalidInput, NotFound
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc, parse_utc

FIELDS = {"matchers", "startsAt", "endsAt", "createdBy", "comment"}
MAX_LENGTH = timedelta(days=365)


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def to_dict(self, now: datetime) -> dict[str, Any]:
        state = "active" if self.active(now) else "pending" if now < self.starts_at else "expired"
        return {"id": self.id, "matchers": [m.to_dict() for m in self.matchers], "startsAt": self.starts_at.isoformat(),
                "endsAt": self.ends_at.isoformat(), "createdBy": self.created_by, "comment": self.comment,
                "status": {"state": state}}


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 1000:
        raise InvalidInput(f"'{name}' is required: a non-empty string of at most 1000 characters", field=name)
    return value.strip()


def parse_silence(body: Any, now: datetime) -> Silence:
    """A new silence from a request body; InvalidInput naming the field when it is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput("body must be a silence object", field="body")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {unknown}; expected {sorted(FIELDS)}", field=unknown[0])
    raw = body.get("matchers")
    if not isinstance(raw, list) or not raw or len(raw) > 32:
        raise InvalidInput("'matchers' must be a list of 1 to 32 matchers, e.g. [\"metric=latency\"]", field="matchers")
    try:
        matchers = tuple(parse_matcher(m) for m in raw)
    except ValueError as exc:
        raise InvalidInput(f"'matchers': {exc}", field="matchers") from None
    starts = parse_utc(body["startsAt"], "startsAt") if body.get("startsAt") is not None else now
    if body.get("endsAt") is None:
        raise InvalidInput("'endsAt' is required: silences are time-bounded", field="endsAt")
    ends = parse_utc(body["endsAt"], "endsAt")
    if ends <= max(starts, now) or ends - starts > MAX_LENGTH:
        raise InvalidInput("'endsAt' must be after both startsAt and now, and at most 365 days after startsAt",
                           field="endsAt")
    return Silence(uuid.uuid4().hex, matchers, starts, ends, _text(body, "createdBy"), _text(body, "comment"))


def _from_doc(doc: Mapping[str, Any]) -> Silence:
    return Silence(doc["_id"], tuple(parse_matcher(m) for m in doc["matchers"]), as_utc(doc["starts_at"]),
                   as_utc(doc["ends_at"]), doc["created_by"], doc["comment"])


class Silences:
    def __init__(self, store: AlertStore) -> None:
        self.collection = store.silences

    def create(self, silence: Silence) -> Silence:
        with unavailable_as_503():
            self.collection.insert_one({"_id": silence.id, "matchers": [m.to_dict() for m in silence.matchers],
                                        "starts_at": silence.starts_at, "ends_at": silence.ends_at,
                                        "created_by": silence.created_by, "comment": silence.comment})
        return silence

    def list(self, since: datetime | None = None) -> list[Silence]:
        """Every silence, or those not ended before `since`; the newest end first."""
        query = {} if since is None else {"ends_at": {"$gt": since}}
        with unavailable_as_503():
            return [_from_doc(d) for d in self.collection.find(query).sort("ends_at", -1)]

    def expire(self, silence_id: str, now: datetime) -> Silence:
        with unavailable_as_503():
            doc = self.collection.find_one({"_id": silence_id})
            if doc is None:
                raise NotFound(f"no silence {silence_id!r}", field="id")
            if as_utc(doc["ends_at"]) > now:
                self.collection.update_one({"_id": silence_id}, {"$set": {"ends_at": now}})
                doc["ends_at"] = now
        return _from_doc(doc)


def window_open(window: MaintenanceWindow, now: datetime) -> bool:
    """Whether `now` falls within `duration` of the window's latest cron tick, in its time zone."""
    local = now.astimezone(ZoneInfo(window.time_zone))
    if croniter.match(window.cron, local.replace(second=0, microsecond=0)):
        return True
    last = croniter(window.cron, local).get_prev(datetime)
    return local < last + window.duration


def muted_by(labels: Mapping[str, str], silences: Iterable[Silence], windows: Iterable[MaintenanceWindow],
             now: datetime) -> str | None:
    """The id of a silence, or `window:<name>`, that mutes an alert with these labels now."""
    for silence in silences:
        if silence.active(now) and all_match(silence.matchers, labels):
            return silence.id
    for window in windows:
        if all_match(window.matchers, labels) and window_open(window, now):
            return f"window:{window.name}"
    return None
