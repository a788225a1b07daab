"""Per function: its cold start (a new Python process importing it, then its first request) and the
installed size of the dependency set its requirements.txt ships.

    .venv/bin/python benchmarks/bench_functions.py [--root DIR] [--runs 3]

`--root` points at another checkout (vendored with `make vendor`) to print its figures: how the
"before" column of the README was measured. Sizes are the bytes each distribution installed in
`.venv` (its RECORD), summed over the function's requirements: what Cloud Build installs. The
cold start runs in a fresh interpreter with only the function's directory on the path, the
in-memory store (MONGO_URL empty) and the OS file cache warm, as on a warm host; Cloud
Functions adds its own container start to this.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from metricwatch.ops.lock import pins  # noqa: E402

# The first request each function gets: a GET for the readers, one pushed point for push.
FIRST = {
    "push": ("POST", "/", {"name": "bench", "value": 1.0}),
    "query": ("GET", "/", None),
    "dashboard": ("GET", "/api/overview", None),
    "grafana": ("GET", "/", None),
}
PROBE = """
import json, sys, time
t0 = time.perf_counter()
import main
t1 = time.perf_counter()
method, path, body = json.loads(sys.argv[1])
if method:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request
    answer = main.handle(Request(EnvironBuilder(method=method, path=path, json=body).get_environ()))
    status = answer[1]
    assert status < 500, answer
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t0, "modules": len(sys.modules),
                  "numpy": "numpy" in sys.modules, "sklearn": "sklearn" in sys.modules}))
"""


def installed_bytes(name: str) -> int:
    dist = metadata.distribution(name)
    return sum(f.size or 0 for f in dist.files or [])


def cold_start(function_dir: Path, runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MONGO_URL", "MODEL_STORE_URL")}
    env.update({"DOTENV": "", "MONGO_URL": "", "LOG_LEVEL": "WARNING"})
    request = json.dumps(FIRST.get(function_dir.name, (None, None, None)))
    samples = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PROBE, request], cwd=function_dir, env=env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise SystemExit(f"{function_dir.name}: {done.stderr[-2000:]}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"import": statistics.median(s["import"] for s in samples),
            "first": statistics.median(s["first"] for s in samples), **{k: samples[-1][k] for k in
                                                                        ("modules", "numpy", "sklearn")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"# functions of {args.root} on {platform.python_version()} {platform.machine()}, "
          f"{os.cpu_count()} cores; median of {args.runs} fresh processes")
    print(f"{'function':<22}{'packages':>9}{'installed MB':>14}{'import main s':>15}{'+ 1st request s':>17}"
          f"{'modules':>9}  numpy/sklearn loaded")
    for requirements in sorted(args.root.glob("functions/*/requirements.txt")):
        names = pins(requirements.read_text())
        size = sum(installed_bytes(name) for name in names)
        figures = cold_start(requirements.parent, args.runs)
        loaded = "/".join("yes" if figures[k] else "no" for k in ("numpy", "sklearn"))
        first = f"{figures['first']:.3f}" if requirements.parent.name in FIRST else "-"
        print(f"{requirements.parent.name:<22}{len(names):>9}{size / 1e6:>14.1f}{figures['import']:>15.3f}"
              f"{first:>17}{figures['modules']:>9}  {loaded}")


if __name__ == "__main__":
    main()
