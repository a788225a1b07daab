"""`python -m metricwatch.local` (what `make run` runs): serve every function and fire the schedule.

Run from the repository root with `shared/` on PYTHONPATH. Settings come from
the environment and `.env` as everywhere else (PORT, SCHEDULE_PATH, MONGO_URL...).
The banner is printed once the port is bound and before anything is served or
fired, so whoever reads it (a user, the end-to-end test) sees it first; it
names the bound port (PORT=0 would bind a free one). Any error of ours at
start (a bad setting, MongoDB unreachable) is one line on stderr and exit 1
(2 for configuration), never a traceback.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path

from metricwatch.config import Settings, environment
from metricwatch.errors import ConfigError, MetricwatchError
from metricwatch.layout import function_names
from metricwatch.local.apps import Dispatcher, load_apps
from metricwatch.local.scheduler import LocalScheduler, rfc3339
from metricwatch.schedule import ScheduledJob, load_schedule

FUNCTIONS_DIR = Path("functions")


def banner(settings: Settings, base_url: str, names: list[str], jobs: list[ScheduledJob],
           scheduler: LocalScheduler) -> str:
    lines = ["metricwatch is running locally (one process, one functions-framework app per function):"]
    lines += [f"  {base_url}/{name}" for name in names]
    if settings.mongo_url:
        lines.append(f"store:  MongoDB at MONGO_URL, database {settings.mongo_db_name!r}")
    else:
        lines.append("store:  IN MEMORY ONLY (MONGO_URL is empty): every point is lost when this process stops")
    lines.append(f"models: {settings.model_store_url}")
    lines.append(f"alerts: {settings.alerting_path}; with no routes, to ALERT_WEBHOOK_URL "
                 f"({'set' if environment().get('ALERT_WEBHOOK_URL', '').strip() else 'unset: printed to this log'})")
    lines.append(f"schedule ({settings.schedule_path}):")
    lines += [f"  {job.name:<24} {job.cron:<14} {job.time_zone:<12} -> /{job.function}  "
              f"next {rfc3339(scheduler.upcoming[job.name])}" for job in jobs]
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def serve(settings: Settings) -> None:
    from werkzeug.serving import make_server

    from metricwatch.runtime import get_runtime

    from metricwatch.collectors import known

    get_runtime()  # build the shared runtime (and store) now: bad settings fail before we listen
    known(settings)  # and read the collectors file, so a wrong COLLECTORS_PATH fails here too
    names, jobs = function_names(FUNCTIONS_DIR), load_schedule(settings.schedule_path, FUNCTIONS_DIR)
    dispatcher = Dispatcher(load_apps(FUNCTIONS_DIR, names), base_url="")
    server = make_server("127.0.0.1", settings.port, dispatcher, threaded=True)
    dispatcher.base_url = base_url = f"http://127.0.0.1:{server.server_port}"  # the port actually bound
    stop, signalled = threading.Event(), []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Only a list append here: Event.set() takes a lock the interrupted main thread may hold
        # (it waits on that very event), and a handler that blocks on it never returns.
        signal.signal(sig, lambda *_: signalled.append(True))
    scheduler = LocalScheduler(jobs, base_url, stop)
    print(banner(settings, base_url, names, jobs, scheduler), flush=True)
    threads = [threading.Thread(target=server.serve_forever, name="http", daemon=True),
               threading.Thread(target=scheduler.run, name="scheduler", daemon=True)]
    for thread in threads:
        thread.start()
    while not signalled:
        time.sleep(0.2)
    stop.set()
    print("stopping...", flush=True)
    server.shutdown()
    threads[1].join(timeout=5)
    print("stopped.", flush=True)


def main() -> int:
    from metricwatch.runtime import get_runtime

    try:
        serve(get_runtime().settings)
    except ConfigError as exc:
        print(f"metricwatch: configuration error: {exc.message}", file=sys.stderr)
        return 2
    except MetricwatchError as exc:  # e.g. StoreUnavailable: MONGO_URL names a server we cannot reach
        print(f"metricwatch: cannot start: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"metricwatch: cannot serve: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main())
