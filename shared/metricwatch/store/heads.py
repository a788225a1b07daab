"""Series heads: one small document per series, bumped before every write of its points.

A push scores its points from the instance's own recent window of a series only
when the store says nobody else wrote the series since (`detection/warm.py`).
That signal lives here, in a regular collection (`<metrics collection>_heads`;
a time-series collection has no unique index and no atomic update):

    {"_id": <series key>, "name": "cpu", "labels": {"host": "a"},
     "w": <token of the last write>, "at": <when it was bumped>, "last": <its latest point time>,
     "expires": <at + retention>}

Every writer bumps the heads of the series it is about to write (a new `w`), in
one `bulk_write`, *before* inserting the points. That order is the safe one: a
bump whose insert then fails or never happens only makes other instances read
the store once more, while an insert no head announced could leave another
instance trusting a window without it. The no-data sweep bumps a series before
it opens an incident on it (`alerting/nodata.py`), so that an instance trusting
its memory of "no open incident" (`alerting/tracker.py`) sees it too. A bump is
conditional, as one `UpdateOne` with `upsert=True` per series:

- `MINE`: `{_id, w: <the token this instance wrote last>}`: it still holds
  (`HELD`) when nobody bumped the series since this instance's last write;
- `SETTLED`: `{_id, at < now - SETTLE}`: `HELD` when the last bump of anyone is
  older than `SETTLE`, so every write announced so far has landed and a read
  now sees them all (a write is assumed to land within `SETTLE` of its bump:
  push times out at 60 s, and `warm.py` bumps again before an insert that comes
  later than `SETTLE / 4` after its bump);
- `ANY`: `{_id}`, no condition: a series this instance keeps no window of.

A condition that fails makes the upsert collide with the existing `_id`: the
server answers that op with a duplicate-key error (E11000, not retried since the
filter is not `_id` alone), which is how one round trip tells each series' outcome
apart (`TAKEN`); an upsert that inserted is `NEW` (matched by `_id`, not by its
index). Those taken are bumped again without condition in a second round trip, so
every write is announced whatever happened. `at` and `last` only grow (`$max`).

The same documents are a series catalogue: `seen(name, since)` lists a metric's
series with their latest point time from the `(name, last)` index, without a scan
of the points. `expires` (a TTL index) drops a head a retention after its last
write, when its points are gone too; with no retention heads stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from pymongo import ASCENDING, UpdateOne
from pymongo.errors import BulkWriteError

from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc

SETTLE = timedelta(seconds=120)
DUPLICATE_KEY = 11000
MINE, SETTLED, ANY = "mine", "settled", "any"
HELD, NEW, TAKEN = "held", "new", "taken"


@dataclass(frozen=True)
class Claim:
    """One series about to be written: its identity, its latest point's time and the bump's condition."""

    key: str
    name: str
    labels: dict[str, str]
    last: datetime
    mode: str = ANY
    expect: str | None = None  # MINE: the token this instance wrote last


@dataclass(frozen=True)
class Bump:
    """What a write's bump said about one series, for what follows the insert (incident tracking).

    `held`: the token the bump replaced, when it was this instance's own and the bump held (nobody
    bumped the series between the two writes), else None. `complete`: a read now sees every write
    announced before this one (`detection/warm.py`'s rule for keeping a window)."""

    token: str  # the head this write left
    held: str | None
    complete: bool


class SeriesHeads:
    def __init__(self, collection: Any, retention_days: int = 0) -> None:
        self.collection = collection
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None

    def ensure_indexes(self) -> "SeriesHeads":
        with unavailable_as_503():
            self.collection.create_index("expires", name="expires", expireAfterSeconds=0)
            self.collection.create_index([("name", ASCENDING), ("last", ASCENDING)], name="name_last")
        return self

    def bump(self, claims: Sequence[Claim], token: str, now: datetime) -> list[str]:
        """Set every claimed head to `token`; each claim's outcome (HELD, NEW or TAKEN) before the bump.

        One round trip, two when a condition failed (TAKEN): those are bumped again without one.
        """
        if not claims:
            return []
        found = self._bulk(claims, [self._op(c, token, now, c.mode) for c in claims])
        outcomes = [found.get(i, HELD) for i in range(len(claims))]
        taken = [c for c, outcome in zip(claims, outcomes) if outcome == TAKEN]
        if taken:
            self._bulk(taken, [self._op(c, token, now, ANY) for c in taken])
        return outcomes

    def seen(self, name: str, since: datetime) -> dict[str, tuple[dict[str, str], datetime]]:
        """Series key => (labels, latest point time) of each series of `name` written with a point since `since`."""
        with unavailable_as_503():
            docs = self.collection.find({"name": name, "last": {"$gte": since}}, {"labels": 1, "last": 1})
            return {d["_id"]: (d["labels"], as_utc(d["last"])) for d in docs}

    def _op(self, claim: Claim, token: str, now: datetime, mode: str) -> UpdateOne:
        where: dict[str, Any] = {"_id": claim.key}
        if mode == MINE:
            where["w"] = claim.expect
        elif mode == SETTLED:
            where["at"] = {"$lt": now - SETTLE}
        grow: dict[str, Any] = {"at": now, "last": claim.last}
        if self.retention is not None:
            grow["expires"] = now + self.retention
        return UpdateOne(where, {"$set": {"w": token}, "$max": grow,
                                 "$setOnInsert": {"name": claim.name, "labels": claim.labels}}, upsert=True)

    def _bulk(self, claims: Sequence[Claim], ops: list[UpdateOne]) -> dict[int, str]:
        """Index => NEW or TAKEN for the ops that inserted or collided; the others matched."""
        with unavailable_as_503():
            try:
                details = self.collection.bulk_write(ops, ordered=False).bulk_api_result
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if not errors or exc.details.get("writeConcernErrors") or any(
                        e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                details = exc.details
        inserted = {u["_id"] for u in details.get("upserted", [])}
        out = {i: NEW for i, c in enumerate(claims) if c.key in inserted}
        out.update({e["index"]: TAKEN for e in details.get("writeErrors", [])})
        return out


def heads_collection_name(metrics_collection: str) -> str:
    return f"{metrics_collection}_heads"


def open_heads(metrics: Any, retention_days: int) -> SeriesHeads:
    """The heads live beside the metrics, in their database (one connection string, one client)."""
    collection = metrics.collection
    return SeriesHeads(collection.database[heads_collection_name(collection.name)], retention_days).ensure_indexes()
