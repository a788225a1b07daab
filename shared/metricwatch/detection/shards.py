"""A training run cut into shards: how many, which series each holds, and the body that carries one.

A run whose series would keep one instance past its deadline is cut into
contiguous pieces of its listing (catalog order, then each metric's label sets
in key order), so a retry of the run that lists the same series cuts the same
shards and names the same tasks. Each shard carries the run's time: every
attempt of it leaves alone the series whose model was written since then, as
the retries of an unsharded run do, so a retried shard never trains a series twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from metricwatch.errors import InvalidInput
from metricwatch.points import NAME_RE, parse_labels
from metricwatch.timeutil import parse_utc

FILL = 0.8  # a shard is sized to take 80% of the deadline by the estimate: room for an estimate 25% low
BODY_BYTES = 512 * 1024  # under Cloud Tasks' 1 MB task and the function's MAX_BODY_BYTES (1 MiB by default)
MAX_SHARD_SERIES = 50_000  # most series one body may list: bounds what a malformed request can cost
FIELDS = ("run", "shard", "shards", "series")
SeriesKey = tuple[str, dict[str, str]]  # (metric, labels)


@dataclass(frozen=True)
class ShardPlan:
    """How a run of `series` series is cut: `shards` shards of at most `size`.

    `one_instance_seconds`: the estimate for the whole run in one instance; `capped`: the
    deadline needs more shards than TRAIN_MAX_SHARDS allows, so each will stop at its
    deadline and continue on its retry.
    """

    series: int
    shards: int
    size: int
    one_instance_seconds: float
    capped: bool = False


def plan(series: int, series_seconds: float, deadline: float, max_shards: int,
         series_bytes: int = 0) -> ShardPlan:
    """The fewest shards whose estimated time fits `FILL` of `deadline`, at most `max_shards`.

    The fewest, because each shard lists the bucket once and starts an instance. A shard's body
    must also stay under `BODY_BYTES` with series of up to `series_bytes` each, which may take more
    (a run that fits one instance is trained where it runs, and sends no body).
    """
    one_instance = series * series_seconds
    needed = max(1, math.ceil(one_instance / (deadline * FILL)))
    if needed == 1:  # trained here: no body to send
        return ShardPlan(series, 1, series, one_instance)
    shards = max(1, min(needed, max_shards, series))
    size = math.ceil(series / shards) if series else 0
    if series_bytes and size * series_bytes > BODY_BYTES:
        size = max(1, BODY_BYTES // series_bytes)
        shards = math.ceil(series / size)
    return ShardPlan(series, shards, size, one_instance, capped=needed > max_shards)


@dataclass(frozen=True)
class Shard:
    """One piece of a run: its time (what "already trained" is measured from), place and series."""

    run: datetime
    index: int
    count: int
    series: tuple[SeriesKey, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run.isoformat(), "shard": self.index, "shards": self.count,
                "series": [{"metric": m, "labels": labels} for m, labels in self.series]}

    def body(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()

    def task_id(self) -> str:
        """A queue's task id for this shard: the same shard of the same run always gets the same one.

        The digest of the body leads, as Cloud Tasks advises (names sharing a prefix slow its
        dispatch); the run and place follow for a reader. A re-dispatch of an identical shard
        is refused as a duplicate; a shard with other series is another task.
        """
        digest = hashlib.sha256(self.body()).hexdigest()[:16]
        return f"{digest}-train-{self.run:%Y%m%dT%H%M%SZ}-{self.index:05d}-of-{self.count:05d}"


def series_bytes(series: SeriesKey) -> int:
    """What one series adds to a shard's body."""
    return len(json.dumps({"metric": series[0], "labels": series[1]}, separators=(",", ":"))) + 1


def cut(listing: Sequence[SeriesKey], run: datetime, shard_plan: ShardPlan) -> list[Shard]:
    """Contiguous pieces of `listing`, in its order: every series in exactly one shard."""
    size = max(1, shard_plan.size)
    pieces = [tuple(listing[i:i + size]) for i in range(0, len(listing), size)]
    return [Shard(run, i, len(pieces), piece) for i, piece in enumerate(pieces)]


def parse_shard(raw: Any) -> Shard:
    """A shard body as `Shard.to_dict` writes it; anything else is a 400 naming the field."""
    if not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object with " + ", ".join(FIELDS), field="body")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s) {unknown}; expected {list(FIELDS)}", field=unknown[0])
    for name in FIELDS:
        if name not in raw:
            raise InvalidInput(f"'{name}' is required", field=name)
    run = parse_utc(raw["run"], "run")
    count, index = _whole(raw["shards"], "shards", 1), _whole(raw["shard"], "shard", 0)
    if index >= count:
        raise InvalidInput(f"'shard' is {index}, but there are {count} shards (0 to {count - 1})", field="shard")
    listed = raw["series"]
    if not isinstance(listed, list) or not listed:
        raise InvalidInput("'series' must be a non-empty list of {\"metric\": ..., \"labels\": {...}}", field="series")
    if len(listed) > MAX_SHARD_SERIES:
        raise InvalidInput(f"'series' lists {len(listed)} series; at most {MAX_SHARD_SERIES}", field="series")
    return Shard(run, index, count, tuple(_series(item, i) for i, item in enumerate(listed)))


def _whole(raw: Any, name: str, least: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < least:
        raise InvalidInput(f"'{name}' must be a whole number of at least {least}", field=name)
    return raw


def _series(item: Any, i: int) -> SeriesKey:
    where = f"series[{i}]"
    if not isinstance(item, dict) or set(item) - {"metric", "labels"} or "metric" not in item:
        raise InvalidInput(f"{where} must be an object with 'metric' and optional 'labels'", field=where)
    if not isinstance(item["metric"], str) or not NAME_RE.fullmatch(item["metric"]):
        raise InvalidInput(f"{where}.metric must be a metric name (a letter, then letters, digits, '_', '.', "
                           "':' or '-', at most 128 characters)", field=f"{where}.metric")
    try:
        return item["metric"], parse_labels(item.get("labels"))
    except InvalidInput as exc:
        raise InvalidInput(f"{where}.labels: {exc.message}", field=f"{where}.labels") from None
