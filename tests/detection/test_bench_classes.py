"""`make bench-classes` writes a labelled corpus the NAB tools read, and judges alarms as it says."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_classes  # noqa: E402
from metricwatch.backtest.nab_corpus import corpus_rows, load_profiles  # noqa: E402

DAY = 86400.0


@pytest.mark.parametrize("kind", list(bench_classes.CLASSES))
def test_every_class_of_every_kind_puts_its_window_in_the_judged_weeks(kind: str) -> None:
    for klass in bench_classes.CLASSES[kind]:
        for mag in bench_classes.MAGNITUDES:
            ts, x, windows = bench_classes.make_series(kind, klass, mag, np.random.default_rng(0))
            assert np.isfinite(x).all() and (x >= 0).all() and np.all(np.diff(ts) > 0), (kind, klass)
            [(a, b)] = windows
            assert bench_classes.START + bench_classes.TRAIN_DAYS * DAY < a < b <= ts[-1], (kind, klass, mag)
    if kind == "error_ratio":
        assert (x <= 1).all()


def test_a_larger_magnitude_is_a_larger_incident() -> None:
    sizes = []
    for mag in bench_classes.MAGNITUDES:
        ts, x, [(a, b)] = bench_classes.make_series("cpu", "shift_up", mag, np.random.default_rng(3))
        sizes.append(x[ts >= a].mean() - x[(ts < a) & (ts >= a - DAY)].mean())
    assert sizes[0] < sizes[1] < sizes[2]


def test_the_corpus_is_in_nabs_layout_and_the_same_for_the_same_seed(tmp_path: Path) -> None:
    records = bench_classes.generate(tmp_path / "a", 17, 1, kinds=("error_ratio",))
    bench_classes.generate(tmp_path / "b", 17, 1, kinds=("error_ratio",))
    names = [r["name"] for r in records]
    assert len(names) == bench_classes.CLEAN + 3 * len(bench_classes.CLASSES["error_ratio"])
    for name in names:
        assert (tmp_path / "a/data" / name).read_bytes() == (tmp_path / "b/data" / name).read_bytes()
    _, series, rows = corpus_rows(tmp_path / "a", names)
    assert [p.name for p in load_profiles(tmp_path / "a")] == ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]
    for record, s, r in zip(records, series, rows):
        assert r.n_windows == len(record["windows"]) == 1 - (record["class"] == "none")
        if r.n_windows:  # the window's rows are the incident's
            rows = np.flatnonzero(r.window >= 0) + r.probation
            [(a, b)] = record["windows"]
            assert s.timestamps[rows[0]] >= a and s.timestamps[rows[-1]] <= b


def test_an_alarm_in_a_window_is_found_and_one_outside_is_a_false_alarm() -> None:
    start = bench_classes.START
    ts = start + 300.0 * np.arange(21 * 288)
    a = start + 10 * DAY
    record = {"windows": [(a, a + 3600.0)]}
    anomaly = np.ones(len(ts), dtype=int)
    anomaly[np.searchsorted(ts, a + 600.0)] = -1  # 10 minutes in
    anomaly[np.searchsorted(ts, a + 12 * 3600.0)] = -1  # the incident's aftermath: excused
    anomaly[np.searchsorted(ts, start + 15 * DAY)] = -1  # a false alarm
    anomaly[np.searchsorted(ts, start + 2 * DAY)] = -1  # in the first training week: not judged
    got = bench_classes.judge(record, ts, anomaly)
    assert got["found"] == [True] and got["delay"] == [10.0] and got["false_alarms"] == 1
    assert got["weeks"] == pytest.approx((14 * DAY - 300.0 - 25 * 3600.0) / (7 * DAY))
