"""The server-only part of storage: creating the time-series collection, and keeping its options.

This is the one place that asks MongoDB for features mongomock cannot
emulate (`timeseries=` options, `expireAfterSeconds` on a time-series
collection, `collMod`). Tests check exactly what it sends; the live suite
(`MONGO_TEST_URL`) runs it against a real server.

Retention and granularity are settings, so a change to them should reach a
collection created earlier. Only changes that lose nothing are applied, with
`collMod`: a longer retention (or none) and a coarser granularity. A shorter
retention, or one where there was none, would delete stored points for good,
and any process that opens the store (a developer's `make run` pointed at
production with the default of 400 days, an old instance during a deploy)
would do it: it is logged with the command to run, never run. When the
database user may not run `collMod` (Atlas's `readWrite` role cannot), the
log says which command to run too.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import CollectionInvalid, OperationFailure

from metricwatch.store.mongo import META_FIELD, NAME_INDEX, SERIES_INDEX, TIME_FIELD, unavailable_as_503

log = logging.getLogger(__name__)
GRANULARITIES = ("seconds", "minutes", "hours")  # MongoDB can only move a collection rightwards here
NAMESPACE_EXISTS = 48


def timeseries_options(granularity: str, retention_days: int) -> dict[str, Any]:
    """Keyword arguments for `Database.create_collection`."""
    options: dict[str, Any] = {
        "timeseries": {"timeField": TIME_FIELD, "metaField": META_FIELD, "granularity": granularity},
    }
    if retention_days > 0:
        options["expireAfterSeconds"] = retention_days * 86400
    return options


def ensure_timeseries_collection(db: Any, name: str, granularity: str, retention_days: int) -> Any:
    """Create the collection on first use, or bring an existing one's options in line; return it."""
    with unavailable_as_503():
        found = list(db.list_collections(filter={"name": name}))
        if not found:
            _create(db, name, granularity, retention_days)
        else:
            _reconcile(db, name, found[0], granularity, retention_days)
        collection = db[name]
        collection.create_index(SERIES_INDEX, name="series_time")
        collection.create_index(NAME_INDEX, name="name_time")  # listing, label sets, query by metric
    return collection


def _create(db: Any, name: str, granularity: str, retention_days: int) -> None:
    try:
        db.create_collection(name, **timeseries_options(granularity, retention_days))
    except CollectionInvalid:
        pass  # another instance created it between our check and our create (pymongo's own check)
    except OperationFailure as exc:
        if exc.code != NAMESPACE_EXISTS:  # the same race, seen by the server
            raise


def _reconcile(db: Any, name: str, info: dict[str, Any], granularity: str, retention_days: int) -> None:
    """Apply the settings' retention and granularity to a collection created with other ones."""
    if info.get("type") != "timeseries":
        log.warning("collection %s exists but is not a time-series collection: points are stored as plain "
                    "documents, without bucketing or retention; rename it to let metricwatch create one", name)
        return
    options = info.get("options", {})
    ttl = retention_days * 86400 if retention_days > 0 else None
    current_ttl = options.get("expireAfterSeconds")
    if current_ttl != ttl:
        change = {"expireAfterSeconds": ttl if ttl else "off"}
        what = f"retention {current_ttl} s -> {ttl} s (METRICS_RETENTION_DAYS)"
        if ttl is None or (current_ttl is not None and ttl > current_ttl):
            _modify(db, name, change, what)
        else:  # shorter, or expiry where there was none: MongoDB would delete points for good
            log.warning("collection %s: not applying %s, which would delete stored points; to apply it, run "
                        "db.runCommand(%s)", name, what, {"collMod": name, **change})
    current = options.get("timeseries", {}).get("granularity")
    if current in GRANULARITIES and current != granularity:
        if GRANULARITIES.index(granularity) > GRANULARITIES.index(current):
            _modify(db, name, {"timeseries": {"granularity": granularity}},
                    f"granularity {current} -> {granularity} (MONGO_TIMESERIES_GRANULARITY)")
        else:
            log.warning("collection %s has granularity %s; MongoDB cannot lower it to %s: keeping %s",
                        name, current, granularity, current)


def _modify(db: Any, name: str, change: dict[str, Any], what: str) -> None:
    try:
        db.command("collMod", name, **change)
        log.info("collection %s: %s", name, what)
    except OperationFailure as exc:
        log.warning("collection %s: could not change %s (%s); a database admin can run "
                    "db.runCommand(%s)", name, what, exc.details.get("errmsg") if exc.details else exc,
                    {"collMod": name, **change})
