"""`make bench-feedback`: does feedback teach? NAB replayed with and without a simulated user.

Every corpus file is replayed as `make bench-nab` replays it (daily retraining
on the last 7 days, context points only), once without feedback and, per
row of `VARIANTS`, with a simulated user
(`metricwatch.backtest.feedback_replay.SimulatedUser`) who marks each false
alarm `not_anomaly` ([t - 3 rows, t + 3 rows), known at t + 3 rows) and each
label window no alarm found `anomaly` (known at the window's last row); the
marks reach the model at the next daily retrain
(`replay.replay_with_feedback`), never earlier. By default a training also
re-reads the rows of older not_anomaly marks, before its interval
(`detection.feedback.fit_with_feedback(earlier=...)`); the third row shows
the memory without that: only the marks inside the 7 days trained on.

Printed for each: false alarms (verdicts -1 outside every label window) and
windows found (a verdict -1 inside one), counted by the NAB scorer's
`evaluate` on the scored rows (probation left out) with the verdict as the
detection; the NAB scores (one threshold per profile over the corpus, as
`bench-nab`); and the NAB standard score at the verdict itself. Then why
the default feedback loses the windows it loses: how many of them fired,
without feedback, on an event the user had already called normal (the
model of that day, read without its memory, against the accepted false
alarms it remembers: same direction, at least as rare on the alarm's
rarest measure). Then the files whose counts differ between rows.
Progress goes to stderr.

`--shapes N` adds the same question on data that is not NAB: the synthetic
series of `make bench-shapes` (N series per incident kind and sampling, each
with one incident, judged by its rules: found if an alarm fires from the
incident's start to an hour, or two rows, after its end; any alarm outside
it and the day after it is a false alarm), replayed without feedback and
with the same simulated user, the incident being the label window.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.backtest.csvio import read_series  # noqa: E402
from metricwatch.backtest.feedback_replay import SimulatedUser  # noqa: E402
from metricwatch.backtest.nab_corpus import (  # noqa: E402
    CorpusMissing, check_corpus, corpus_rows, load_profiles, load_windows, window_rows)
from metricwatch.backtest.nab_scorer import evaluate, sweep  # noqa: E402
from metricwatch.backtest.replay import DAY, ReplayConfig, replay_with_feedback  # noqa: E402
from metricwatch.detection.feedback import ANOMALY, NOT_ANOMALY  # noqa: E402
from metricwatch.detection.models.base import OUTLIER  # noqa: E402
from metricwatch.detection.models.robust_seasonal import ACCEPTED  # noqa: E402


# (label, train_params, feedback_memory seconds, with the user): the replays of every file, in table order
VARIANTS = (
    ("without feedback", {}, None, False),
    ("with feedback (default)", {}, None, True),
    ("with feedback, memory only of marks in the training interval", {}, 0.0, True),
    ("with feedback, accepted_anywhere_after 2", {"accepted_anywhere_after": 2}, None, True),
)


def like_an_accepted_one(model, ts: np.ndarray, x: np.ndarray, row: int) -> bool:
    """Whether `row`, read by `model` without its memory, is an event the user had called normal:
    an accepted false alarm of the same direction read at least as rare on the row's rarest measure.

    robust_seasonal's own readings (`_measures`, the memory's episodes), for this diagnosis only.
    """
    accepted = getattr(model, "_accepted", None)
    if accepted is None:
        return False
    lo = max(0, row - model.context_points)
    _, upward, measures = model._measures(ts[lo:row + 1], model._even(x[lo:row + 1]), None)
    digits, side = -measures[:, -1], 0 if upward[-1] else 1
    k = int(np.argmax(digits))
    return any(e[0] == side and e[2 + k] >= digits[k] for e in accepted.episodes)


def lost_windows(series, windows: list[tuple[int, int]], without: np.ndarray, with_: np.ndarray,
                 trained: list) -> tuple[int, int]:
    """(windows where an alarm fired without feedback and none with it, of those `like_an_accepted_one`),
    judged at the first alarm without feedback, with the model the feedback replay scored it with."""
    lost = like = 0
    starts = [row for row, _ in trained]
    for left, right in windows:
        fired = np.flatnonzero(without[left:right + 1] == OUTLIER)
        if not len(fired) or (with_[left:right + 1] == OUTLIER).any():
            continue
        row = left + int(fired[0])
        k = int(np.searchsorted(starts, row, side="right")) - 1
        lost += 1
        like += k >= 0 and like_an_accepted_one(trained[k][1], series.timestamps, series.values, row)
    return lost, like


def one(job: tuple[str, str, list[tuple[float, float]], str, bool]) -> tuple[str, list[tuple], tuple[int, int]]:
    """One file replayed in every variant: scores, verdicts, kinds of marks given, rows silenced as accepted;
    and the default feedback's lost windows (`lost_windows`)."""
    data, name, spans, model, confirm = job
    series = read_series(Path(data) / name)
    windows = window_rows(series.timestamps, spans)
    out, trained = [], []
    for v, (_, params, memory, with_user) in enumerate(VARIANTS):
        config = ReplayConfig(model, params, 7 * DAY, DAY, feedback_memory=memory)
        user = SimulatedUser(series.timestamps, windows, confirm_found=confirm) if with_user else None
        scores, _, marks = replay_with_feedback(series.timestamps, series.values, config, user,
                                                trained if v == 1 else None)
        out.append((scores.score, scores.anomaly, [m.kind for _, m in marks],
                    sum(s == ACCEPTED for s in scores.silenced if s)))
    return name, out, lost_windows(series, windows, out[0][1], out[1][1], trained)


def shape_one(job: tuple[str, str, int, dict]) -> tuple[str, str, list[tuple[bool, int]]]:
    """One bench_shapes series replayed per feedback variant: (incident found, false alarms) of each."""
    from bench_shapes import HOUR, JUDGED_DAYS, KINDS, STEPS, base_series, inject

    kind, sampling, seed, params = job
    step, days = STEPS[sampling], 7.0
    ts, x, noise_sd, counts = base_series(seed, step, days + JUDGED_DAYS)
    incident = inject(np.random.default_rng([seed, int(step), KINDS.index(kind)]), kind, x, noise_sd, step)
    if counts:
        np.maximum(x, 0.0, out=x)
    windows, excused, after = [], [], len(ts)
    if incident.start < len(ts):
        since = ts[incident.start]
        deadline = incident.hours + max(1.0, 2 * step / HOUR)
        last = int(np.searchsorted(ts, since + deadline * HOUR, side="right")) - 1
        after = int(np.searchsorted(ts, since + (deadline + 24) * HOUR, side="right"))
        windows, excused = [(incident.start, last)], [(last + 1, after - 1)]
    judged = ts >= ts[0] + days * DAY
    out = []
    for with_user in (False, True):
        user = SimulatedUser(ts, windows, excused=excused) if with_user else None
        scores, _, _ = replay_with_feedback(ts, x, ReplayConfig("robust_seasonal", params, days * DAY, DAY), user)
        fired = (scores.anomaly == OUTLIER) & judged
        found = bool(windows) and bool(fired[windows[0][0]:windows[0][1] + 1].any())
        false = int(fired[:incident.start].sum() + fired[after:].sum()) if windows else int(fired.sum())
        out.append((found, false))
    return kind, sampling, out


def shapes_table(series: int, jobs: int) -> None:
    from bench_shapes import KINDS, STEPS

    started = time.perf_counter()
    print(f"\nSynthetic series of `make bench-shapes` ({series} per incident kind and sampling, 21 days, "
          f"judged on the last 14), without and with the simulated user:\n")
    print("| train_params | sampling | incidents found without -> with | false alarms without -> with |")
    print("|---|---|---|---|")
    for params in ({}, {"accepted_anywhere_after": 2}):
        work = [(k, s, seed, params) for k in KINDS for s in STEPS for seed in range(series)]
        with ProcessPoolExecutor(max_workers=max(jobs, 1)) as pool:
            got = list(pool.map(shape_one, work, chunksize=4))
        for sampling in STEPS:
            mine = [r for _, s, r in got if s == sampling]
            incidents = sum(k != "none" for k, s, _ in got if s == sampling)
            found = [sum(r[v][0] for r in mine) for v in (0, 1)]
            false = [sum(r[v][1] for r in mine) for v in (0, 1)]
            print(f"| {json.dumps(params)} | {sampling} | {found[0]} -> {found[1]} of {incidents} "
                  f"| {false[0]} -> {false[1]} ({100 * (false[1] - false[0]) / max(false[0], 1):+.0f}%) |")
    print(f"({time.perf_counter() - started:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nab", default=str(Path(__file__).resolve().parents[2] / "shared" / "nab"))
    parser.add_argument("--model", default="robust_seasonal")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--confirm-found", action="store_true",
                        help="the user also marks found windows anomaly (a confirmed incident)")
    parser.add_argument("--shapes", type=int, default=0, metavar="N",
                        help="also replay N synthetic series per incident kind and sampling (bench_shapes)")
    args = parser.parse_args()
    try:
        nab = check_corpus(args.nab)
    except CorpusMissing as exc:
        print(f"bench-feedback: {exc}; nothing to benchmark", file=sys.stderr)
        return 2
    started = time.perf_counter()
    names, series, rows = corpus_rows(nab)
    spans = load_windows(nab)
    profiles = load_profiles(nab)
    jobs = [(str(nab / "data"), n, spans.get(n, []), args.model, args.confirm_found) for n in names]
    results: dict[str, list[tuple]] = {}
    lost = np.zeros(2, dtype=int)
    with ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        for k, (name, got, lost_here) in enumerate(pool.map(one, jobs)):
            results[name] = got
            lost += lost_here
            print(f"[{k + 1}/{len(names)}] {name}: {len(series[k])} points, {len(got[1][2])} marks "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nNAB v1.1, {len(names)} files, {sum(len(s) for s in series)} points, {sum(r.n_windows for r in rows)} "
          f"scored windows; model {args.model}, trained daily on 7 days; "
          f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.jobs} jobs, "
          f"{time.perf_counter() - started:.0f} s\n")
    print("| replay | false alarms | windows found | missed | marks not_anomaly / anomaly | rows silenced as accepted "
          "| NAB standard | reward_low_FP_rate | reward_low_FN_rate | standard at the verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = [[(results[n][v][1] == OUTLIER).astype(np.float64) for n in names] for v in range(len(VARIANTS))]
    outcomes = []
    for v, (label, *_rest) in enumerate(VARIANTS):
        at_verdict = evaluate(rows, verdicts[v], profiles[0], 0.5)  # a verdict -1 is a detection
        kinds = [k for n in names for k in results[n][v][2]]
        nab_scores = [sweep(rows, [results[n][v][0] for n in names], p).score for p in profiles]
        outcomes.append(at_verdict)
        print(f"| {label} | {at_verdict.fp} | {at_verdict.tp} | {at_verdict.fn} "
              f"| {kinds.count(NOT_ANOMALY)} / {kinds.count(ANOMALY)} | {sum(results[n][v][3] for n in names)} | "
              + " | ".join(f"{s:.1f}" for s in nab_scores) + f" | {at_verdict.score:.1f} |")
    before = outcomes[0]
    print(f"\ntarget: false alarms at most {before.fp // 2} (half of {before.fp}), "
          f"windows found at least {int(np.ceil(0.95 * before.tp))} (95% of {before.tp})")
    for (label, *_rest), after in zip(VARIANTS[1:], outcomes[1:]):
        print(f"{label}: false alarms {100 * (after.fp - before.fp) / max(before.fp, 1):+.0f}%, "
              f"windows found {100 * (after.tp - before.tp) / max(before.tp, 1):+.1f}%")
    print(f"\nwhy windows are lost ({VARIANTS[1][0]}; every row, probation included): {lost[0]} windows had an "
          f"alarm without feedback and none with it; in {lost[1]} of them that alarm, read without the memory, "
          f"was an event the user had already called normal (an accepted false alarm of the same direction "
          f"at least as rare on the alarm's rarest measure)")
    print(f"\n| file | false alarms: {' / '.join(str(i) for i in range(len(VARIANTS)))} "
          f"| windows found: {' / '.join(str(i) for i in range(len(VARIANTS)))} (rows of the table above, in order) |")
    print("|---|---|---|")
    for k, (name, file) in enumerate(zip(names, rows)):
        cells = [evaluate([file], [verdicts[v][k]], profiles[0], 0.5) for v in range(len(VARIANTS))]
        if len({(c.fp, c.tp) for c in cells}) > 1:
            print(f"| {name} | {' / '.join(str(c.fp) for c in cells)} | "
                  f"{' / '.join(str(c.tp) for c in cells)} of {file.n_windows} |")
    if args.shapes:
        shapes_table(args.shapes, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
