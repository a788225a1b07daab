"""`make new-collector NAME=x`: the function directory of a new collector, so adding one stays small.

A collector is one decorated function (or one entry of the collectors file)
plus one line in `resources/schedules.json`; this writes the rest, the
deployable directory `functions/collect-<name>/` (main.py, requirements.txt,
function.json), copying the pins and manifest of `collect-random`, and prints
the schedule line to add.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from metricwatch.collectors.declared import NAME_RE

TEMPLATE = "collect-random"
MAIN = '''"""Collector function `{name}`: fired by Cloud Scheduler (resources/schedules.json); the work is in the shared package."""

import functions_framework

from metricwatch.api.collect import collect


@functions_framework.http
def handle(request):
    return collect(request, "{name}")
'''
RETRY = {"retry_count": 3, "min_backoff_seconds": 10, "max_backoff_seconds": 120, "max_doublings": 3,
         "max_retry_duration_seconds": 600}


def schedule_line(name: str, cron: str = "*/5 * * * *") -> str:
    entry = {"name": f"collect-{name}", "function": f"collect-{name}", "cron": cron, "time_zone": "Etc/UTC",
             "attempt_deadline_seconds": 60, "retry": RETRY}
    return json.dumps(entry) + ","


def scaffold(name: str, functions_dir: Path) -> Path:
    """Write functions/collect-<name>/; refuses a bad name or an existing directory."""
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"collector name {name!r}: lowercase letters, digits and '-', starting with a letter")
    target, template = functions_dir / f"collect-{name}", functions_dir / TEMPLATE
    if target.exists():
        raise ValueError(f"{target} already exists")
    manifest = json.loads((template / "function.json").read_text())
    manifest["description"] = f"metricwatch collector collect-{name}, fired by Cloud Scheduler."
    target.mkdir()
    (target / "main.py").write_text(MAIN.format(name=name))
    (target / "requirements.txt").write_text((template / "requirements.txt").read_text())
    (target / "function.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make new-collector NAME=my-source", file=sys.stderr)
        return 2
    try:
        target = scaffold(argv[0], Path("functions"))
    except ValueError as exc:
        print(f"new-collector: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}/ (main.py, requirements.txt, function.json)\n"
          f"now add this line to resources/schedules.json (edit the cron):\n  {schedule_line(argv[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
