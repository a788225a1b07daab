"""POST|GET /notify: one notify run (Cloud Scheduler every minute, or on demand).

Answers 200 when nothing failed and nothing is left for later, else 503 with
the same summary, so Cloud Scheduler retries: `sent`, `deferred` (not tried:
deadline, a receiver that stopped answering, another run sending it),
`failed` (tried, each with its receiver and error; retried with backoff),
`dropped` (older than NOTIFY_MAX_AGE_SECONDS), `queued`, `muted`, `no_data`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from metricwatch.alerting.notify import Notifier, NotifyOptions
from metricwatch.api.http import endpoint, json_response
from metricwatch.errors import InvalidInput
from metricwatch.runtime import Runtime


def notifier(runtime: Runtime) -> Notifier:
    s = runtime.settings
    options = NotifyOptions(external_url=s.alert_external_url, timeout_seconds=s.notify_timeout_seconds,
                            deadline_seconds=s.notify_deadline_seconds,
                            max_age=timedelta(seconds=s.notify_max_age_seconds))
    return Notifier(runtime.alerts, runtime.rules, runtime.catalog, runtime.store, runtime.heads, runtime.environ,
                    options)


@endpoint("POST", "GET")
def notify(request: Any, runtime: Runtime) -> Any:
    if request.args:
        raise InvalidInput(f"unknown parameter(s) {sorted(request.args)}; /notify takes none", field=sorted(request.args)[0])
    summary = notifier(runtime).run()
    return json_response(summary, 503 if summary["failed"] or summary["deferred"] else 200)
