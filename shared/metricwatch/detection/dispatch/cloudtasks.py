"""Shards as Cloud Tasks tasks: each an authenticated POST of its body to the train function's `/shard`.

The task carries an OIDC token of the dedicated invoker service account, with the function's
URL as audience, so Cloud Run lets it in (that account holds roles/run.invoker on the train
function only) and the shard endpoint knows it came from the queue. Its name is derived from
the run and the shard (`Shard.task_id`): a retry of the run that dispatches the same shard again
is refused by Cloud Tasks as a duplicate (counted as `existing`), never queued twice. The
queue's retry config (infra/tasks.tf) retries a shard that answers 5xx or times out.

The only module that imports google-cloud-tasks, and only here, so no other function ships it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

from metricwatch.detection.dispatch import Dispatched
from metricwatch.detection.shards import Shard
from metricwatch.errors import DispatchFailed

log = logging.getLogger(__name__)
# How long Cloud Tasks waits for a shard's answer before it counts the attempt failed and retries:
# the train function's timeout (functions/train/function.json), which is also Cloud Tasks' most for
# an HTTP task. Any less, and a retry would start while the first attempt still trains.
DISPATCH_DEADLINE_SECONDS = 1800
CREATE_AT_ONCE = 8  # create_task calls in flight: 1,000 shards in seconds, not minutes


class CloudTasksDispatcher:
    kind = "cloudtasks"

    def __init__(self, queue: str, url: str, service_account: str, client: Any = None) -> None:
        self.queue, self.url, self.service_account = queue, url.rstrip("/"), service_account
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from google.cloud import tasks_v2

            self._client = tasks_v2.CloudTasksClient()
        return self._client

    def request(self, shard: Shard) -> Any:
        """The `CreateTaskRequest` for one shard."""
        from google.cloud import tasks_v2
        from google.protobuf import duration_pb2

        return tasks_v2.CreateTaskRequest(parent=self.queue, task=tasks_v2.Task(
            name=f"{self.queue}/tasks/{shard.task_id()}",
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST, url=f"{self.url}/shard",
                headers={"Content-Type": "application/json"}, body=shard.body(),
                oidc_token=tasks_v2.OidcToken(service_account_email=self.service_account, audience=self.url)),
            dispatch_deadline=duration_pb2.Duration(seconds=DISPATCH_DEADLINE_SECONDS)))

    def _create(self, shard: Shard) -> str | Exception:
        from google.api_core.exceptions import AlreadyExists

        try:
            self.client.create_task(request=self.request(shard))
            return "created"
        except AlreadyExists:  # an earlier attempt of this run queued it (or it ran within the dedup window)
            return "existing"
        except Exception as exc:  # reported with the others below, so the retry knows how far this got
            log.warning("Cloud Tasks refused shard %d of %d: %s", shard.index, shard.count, exc)
            return exc

    def dispatch(self, shards: Sequence[Shard]) -> Dispatched:
        if not shards:  # every shard's series trained since the run's time: nothing left to wait for
            return Dispatched()
        with ThreadPoolExecutor(min(CREATE_AT_ONCE, len(shards)), thread_name_prefix="enqueue") as pool:
            outcomes = list(pool.map(self._create, shards))
        done = Dispatched(created=outcomes.count("created"), existing=outcomes.count("existing"), pending=True)
        failed = [(s, o) for s, o in zip(shards, outcomes) if isinstance(o, Exception)]
        if failed:
            shard, exc = failed[0]
            raise DispatchFailed(
                f"Cloud Tasks refused {len(failed)} of {len(shards)} shards (first: shard {shard.index}, "
                f"{type(exc).__name__}); {done.created} queued now, {done.existing} already queued; a retry "
                "of the run queues the rest", created=done.created, existing=done.existing, refused=len(failed))
        return done
