"""Idempotency-Key for push: a client that retries after a timeout must not double its points.

A time-series collection cannot have a unique index, so the keys live in a regular collection
(`idempotency_keys`) whose `_id` is unique, with a TTL index on `expires_at`. Retries that land
on another instance are caught too. A request claims its key before it writes anything:
- a new key is claimed (`pending`), and the answer is kept once the points are stored;
- a key already answered replays that answer, with the same status and body, and writes
  nothing;
- a key still `pending` (the first attempt is running) is a 409: retry in a moment. A claim
  older than `ABANDONED_AFTER` belongs to an attempt whose instance died: a retry takes it over;
- a key sent again with a different body is a 409 too. That is a client bug, and replaying the
  other body's answer would hide it.

A request that fails before anything is written (bad input, MongoDB unreachable) releases its
key, so a corrected retry can use it. One that MongoDB refused in part keeps the refusal, which
says which points were written: resending the same key cannot write them twice.
Keys are per caller: the bearer token is part of the id, so two clients cannot collide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from metricwatch.errors import Conflict, InvalidInput
from metricwatch.store.mongo import MongoMetricStore, unavailable_as_503
from metricwatch.timeutil import as_utc

HEADER = "Idempotency-Key"
COLLECTION = "idempotency_keys"
MAX_KEY = 255
# A claim older than this is an attempt whose instance died mid-request (push times out at 60 s):
# its retry takes the key over instead of waiting for the TTL.
ABANDONED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def parse_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY or not (raw.isascii() and raw.isprintable()):
        raise InvalidInput(f"'{HEADER}' must be 1 to {MAX_KEY} printable ASCII characters (a UUID, say)",
                           field=HEADER)
    return raw


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _abandoned(seen: dict[str, Any], now: datetime) -> bool:
    return seen["state"] == "pending" and as_utc(seen["claimed_at"]) <= now - ABANDONED_AFTER


class IdempotencyKeys:
    def __init__(self, db: Any) -> None:
        self.collection = db[COLLECTION]

    def ensure_indexes(self) -> "IdempotencyKeys":
        with unavailable_as_503():
            self.collection.create_index("expires_at", name="expires", expireAfterSeconds=0)
        return self

    def claim(self, key: str, caller: str, body: bytes, now: datetime, window: timedelta) -> tuple[str, Answer | None]:
        """(the key's id, None) when this request is the first; (id, the first answer) when it repeats one
        within `window` of the first."""
        key_id, fingerprint = _digest(caller.encode(), key.encode()), _digest(body)
        doc = {"_id": key_id, "state": "pending", "fingerprint": fingerprint, "claimed_at": now,
               "expires_at": now + window}
        with unavailable_as_503():
            try:
                self.collection.insert_one(doc)
                return key_id, None
            except DuplicateKeyError:
                seen = self.collection.find_one({"_id": key_id})
            if seen is None or as_utc(seen["expires_at"]) <= now or _abandoned(seen, now):
                self.collection.replace_one({"_id": key_id}, doc, upsert=True)  # gone, expired or abandoned
                return key_id, None
        if seen["fingerprint"] != fingerprint:
            raise Conflict(f"this {HEADER} was used for a different request body; use a new key for new points",
                           field=HEADER)
        if seen["state"] == "pending":
            raise Conflict(f"a request with this {HEADER} is still being processed; retry in a few seconds",
                           field=HEADER)
        return key_id, Answer(seen["status"], seen["body"])

    def complete(self, key_id: str, answer: Answer) -> None:
        with unavailable_as_503():
            self.collection.update_one({"_id": key_id}, {"$set": {"state": "done", "status": answer.status,
                                                                  "body": answer.body}})

    def release(self, key_id: str) -> None:
        with unavailable_as_503():
            self.collection.delete_one({"_id": key_id, "state": "pending"})


def open_keys(metrics: MongoMetricStore) -> IdempotencyKeys:
    """The keys live in the metrics' database (one connection string, one client)."""
    return IdempotencyKeys(metrics.collection.database).ensure_indexes()
