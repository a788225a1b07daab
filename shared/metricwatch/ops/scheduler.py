"""Cloud Scheduler on a deployed setup: run a declared job now, or check for drift.

    python -m metricwatch.ops.scheduler run-job --project P --region R --function train
    python -m metricwatch.ops.scheduler drift   --project P --region R

Running a job through Cloud Scheduler (rather than calling the function) uses the
job's own OIDC identity, target and retry policy, so "train now" exercises exactly
what the nightly run does. The client is passed in; `client_factory` builds the real
one and is the only place google-cloud-scheduler is imported.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Sequence

from metricwatch.errors import ConfigError
from metricwatch.ops.drift import Drift, compare
from metricwatch.schedule import ScheduledJob, load_schedule

DEFAULT_SCHEDULE = "resources/schedules.json"


def client_factory() -> Any:
    from google.cloud import scheduler_v1

    return scheduler_v1.CloudSchedulerClient()


def location(project: str, region: str) -> str:
    return f"projects/{project}/locations/{region}"


def jobs_for(declared: Sequence[ScheduledJob], job: str | None = None, function: str | None = None) -> list[str]:
    """Declared job names selected by name or by target function; unknown ones are an error, not a 404."""
    names = [j.name for j in declared if (job is None or j.name == job) and (function is None or j.function == function)]
    if not names:
        raise ConfigError(f"no declared job matches job={job!r} function={function!r}; "
                          f"declared: {sorted(j.name for j in declared)}")
    return names


def run_jobs(client: Any, project: str, region: str, names: Sequence[str]) -> list[Any]:
    """Ask Cloud Scheduler to fire each job at once (its schedule is unchanged)."""
    return [client.run_job(name=f"{location(project, region)}/jobs/{name}") for name in names]


def check_drift(client: Any, project: str, region: str, declared: Sequence[ScheduledJob]) -> Drift:
    return compare(declared, client.list_jobs(parent=location(project, region)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metricwatch.ops.scheduler", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run-job", "drift"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--project", required=True)
        cmd.add_argument("--region", required=True)
        cmd.add_argument("--schedule", default=DEFAULT_SCHEDULE, help="the schedule declaration")
    run = sub.choices["run-job"]
    run.add_argument("--job", help="a declared job name")
    run.add_argument("--function", help="every declared job targeting this function")
    return parser


def main(argv: Sequence[str] | None = None, make_client: Callable[[], Any] = client_factory) -> int:
    args = _parser().parse_args(argv)
    try:
        if not args.project or not args.region:
            raise ConfigError("project and region are required: pass PROJECT=... REGION=... to make, "
                              "or run `make deploy` first so they are read from the Terraform outputs")
        declared = load_schedule(args.schedule)
        if args.command == "run-job":
            names = jobs_for(declared, args.job, args.function)
            for job in run_jobs(make_client(), args.project, args.region, names):
                print(f"started {job.name}")
            return 0
        result = check_drift(make_client(), args.project, args.region, declared)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
