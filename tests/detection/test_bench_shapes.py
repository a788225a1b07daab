"""`make bench-shapes` judges what it claims: an incident found on its row, false alarms per week judged."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_shapes  # noqa: E402


def test_every_kind_goes_into_the_same_series_after_a_full_training_window() -> None:
    ts, base, sd, counts = bench_shapes.base_series(0, 300.0, 21)
    for kind in bench_shapes.KINDS[1:]:
        x = base.copy()
        incident = bench_shapes.inject(np.random.default_rng(1), kind, x, sd, 300.0)
        assert ts[incident.start] >= ts[0] + 11 * 86400 and not np.array_equal(x, base), kind
        assert np.array_equal(x[:incident.start], base[:incident.start]), kind  # nothing before it moves


def test_a_spike_is_found_on_its_own_row_and_a_quiet_series_is_judged_for_two_weeks() -> None:
    spike = bench_shapes.one(("spike", "5min", 0, "robust_seasonal", {}, 7.0))
    assert spike.noise == "gaussian" and spike.found and spike.delay == 0.0
    quiet = bench_shapes.one(("none", "hourly", 0, "robust_seasonal", {}, 7.0))
    assert not quiet.found and math.isnan(quiet.delay) and quiet.weeks == pytest.approx(2.0, abs=0.01)


def test_a_model_blind_to_an_incident_does_not_find_it() -> None:
    stuck = bench_shapes.one(("stuck", "5min", 0, "robust_zscore", {}, 7.0))
    assert not stuck.found and stuck.weeks < 2.0  # the incident and the day after it are not judged
