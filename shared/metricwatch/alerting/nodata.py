"""No-data incidents: a watched series with `absent_after` that has sent nothing for that long.

The notify function sweeps every minute: per such metric, one aggregation
(`MetricStore.last_seen`) gives each series' latest point over the metric's
`train_interval`, the series it still has a model for. A series silent for
longer than that is no longer looked for (it was retired, or renamed).
The incident resolves when a point of the series arrives (`tracker.py`), or
here if the point came in a way the tracker did not see.

Before opening any, the sweep bumps the heads of those series (`store/heads.py`,
one `bulk_write` per metric), as a write of points would: an instance that
remembers a series as free of incidents (`tracker.py`) then finds its head
taken, and reads the incident on its next push. The bump is stamped with the
clock at the bump, not the run's start: a reader trusts that whatever a bump
announced lands within `SETTLE` of its stamp, and a sweep over many metrics
can reach its last ones long after it started.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Mapping

from pymongo.errors import DuplicateKeyError

from metricwatch.alerting.incidents import NO_DATA, active_key, fire, new_incident, resolve
from metricwatch.alerting.store import AlertStore
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.points import Point
from metricwatch.store.base import MetricStore
from metricwatch.store.heads import Claim, SeriesHeads
from metricwatch.store.mongo import unavailable_as_503


def sweep_no_data(catalog: Mapping[str, WatchedMetric], metrics: MetricStore, heads: SeriesHeads,
                  alerts: AlertStore, now: datetime,
                  clock: Callable[[], datetime] | None = None) -> dict[str, int]:
    """Open and resolve the no-data incidents as of `now`; `clock` stamps each metric's bump (default: `now`)."""
    opened = resolved = 0
    for watched in catalog.values():
        if watched.absent_after is None:
            continue
        seen = metrics.last_seen(watched.name, now - max(watched.train_interval, 2 * watched.absent_after))
        keys = {active_key(NO_DATA, series): series for series in seen}
        with unavailable_as_503():
            open_now = {d["active"]: d for d in alerts.incidents.find({"active": {"$in": list(keys)}})}
        silent = {series for series, (_, last) in seen.items() if now - last >= watched.absent_after}
        to_open = [series for key, series in keys.items() if series in silent and key not in open_now]
        claims = [Claim(series, watched.name, *seen[series]) for series in to_open]
        # announced before opened, as points before they are written
        heads.bump(claims, uuid.uuid4().hex, clock() if clock else now)
        for key, series in keys.items():
            labels, last = seen[series]
            if series in silent and key not in open_now:
                opened += _open(alerts, Point(watched.name, 0.0, last, labels), watched, now)
            elif series not in silent and key in open_now:
                resolve(open_now[key], last, now)
                with unavailable_as_503():
                    alerts.incidents.replace_one({"_id": open_now[key]["_id"]}, open_now[key])
                resolved += 1
    return {"opened": opened, "resolved": resolved}


def _open(alerts: AlertStore, last_point: Point, watched: WatchedMetric, now: datetime) -> int:
    doc: dict[str, Any] = new_incident(NO_DATA, last_point, now)
    doc.update(peak={"score": None, "timestamp": last_point.timestamp, "value": None, "expected": None,
                     "lower": None, "upper": None, "model": None, "reason": "no_data",
                     "absent_after_seconds": watched.absent_after.total_seconds()})
    fire(doc, now)
    with unavailable_as_503():
        try:
            alerts.incidents.insert_one(doc)
        except DuplicateKeyError:  # another run opened it first
            return 0
    return 1
