"""Where a training run's shards go: a small interface, picked by TRAIN_DISPATCH in one place.

- `inline` (`inline:N`): this process trains them, N at a time, through the same parsing and
  training as a shard that arrives over HTTP (`make run`, tests).
- `cloudtasks://projects/P/locations/L/queues/Q`: one Cloud Tasks task per shard, each an
  authenticated POST to the train function's `/shard`, so parallel instances train them and
  the queue retries the ones that fail (`metricwatch.detection.dispatch.cloudtasks`, the only
  module that imports google-cloud-tasks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence, runtime_checkable

from metricwatch.config import TrainDispatch
from metricwatch.detection.shards import Shard
from metricwatch.detection.training import TrainSummary


@dataclass
class Dispatched:
    """What a dispatcher did with a run's shards.

    `created`: shards handed over now; `existing`: shards the queue already held (an earlier
    attempt of the run queued them); `summaries`: the shards' outcomes when they ran here,
    in shard order; `pending`: they run elsewhere, and their outcomes are in those instances' logs.
    """

    created: int = 0
    existing: int = 0
    summaries: list[TrainSummary] = field(default_factory=list)
    pending: bool = False


@runtime_checkable
class ShardDispatcher(Protocol):
    kind: str

    def dispatch(self, shards: Sequence[Shard]) -> Dispatched:
        """Hand every shard over once; raise `DispatchFailed` if some could not be."""
        ...


RunShard = Callable[[Shard], TrainSummary]


def open_dispatcher(dispatch: TrainDispatch, run_shard: RunShard, url: str = "",
                    service_account: str = "") -> ShardDispatcher:
    """The dispatcher TRAIN_DISPATCH names; `run_shard` is what a shard does where it runs."""
    if dispatch.kind == "cloudtasks":
        from metricwatch.detection.dispatch.cloudtasks import CloudTasksDispatcher

        return CloudTasksDispatcher(dispatch.queue, url, service_account)
    from metricwatch.detection.dispatch.inline import InlineDispatcher

    return InlineDispatcher(run_shard, dispatch.concurrency)
