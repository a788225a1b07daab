"""Shards trained in this process, a few at a time: what `make run` and the tests dispatch to.

Each shard goes through its JSON body and `parse_shard`, then `run_shard`, exactly as one
that Cloud Tasks delivers to the train function's `/shard`: only the transport differs.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from metricwatch.detection.dispatch import Dispatched, RunShard
from metricwatch.detection.shards import Shard, parse_shard


class InlineDispatcher:
    kind = "inline"

    def __init__(self, run_shard: RunShard, concurrency: int = 2) -> None:
        self.run_shard = run_shard
        self.concurrency = concurrency  # shards at once; each trains TRAIN_WORKERS series at once

    def _run(self, shard: Shard) -> object:
        return self.run_shard(parse_shard(json.loads(shard.body())))

    def dispatch(self, shards: Sequence[Shard]) -> Dispatched:
        if not shards:
            return Dispatched()
        with ThreadPoolExecutor(max(1, min(self.concurrency, len(shards))), thread_name_prefix="shard") as pool:
            summaries = list(pool.map(self._run, shards))
        return Dispatched(created=len(shards), summaries=summaries)  # type: ignore[arg-type]
