"""The NAB scorer on hand-computed windows (no corpus needed).

One file of 100 rows, one window on rows 40..49 (width 10); the first 15 rows
are probationary. Standard profile: TP 1, FP 0.11, FN 1, so never firing
scores 0 and firing on row 40 alone scores 100.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metricwatch.backtest.nab_scorer import (Profile, as_nab_results, evaluate, file_rows, probation_length,
                                             scaled_sigmoid, sweep)

STANDARD = Profile("standard", tp=1.0, fp=0.11, fn=1.0)
ROWS = [file_rows("f.csv", 100, [(40, 49)])]


def fire(*rows: int, value: float = 1.0) -> list[np.ndarray]:
    s = np.zeros(100)
    s[list(rows)] = value
    return [s]


def sigmoid_share(x: float) -> float:
    """2 / (1 + e^(5x)) - 1, as a fraction of its value at the window start (x = -1)."""
    return (2 / (1 + math.exp(5 * x)) - 1) / (2 / (1 + math.exp(-5)) - 1)


def test_the_scaled_sigmoid_matches_the_paper_at_its_landmarks() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == pytest.approx(0.0)
    assert scaled_sigmoid(3.5) == -1.0
    assert scaled_sigmoid(3.0) == pytest.approx(-0.9999994, abs=1e-7)  # -1 only strictly beyond 3, as NAB


def test_probation_is_15_percent_capped_at_750_rows() -> None:
    assert probation_length(100) == 15 and probation_length(4032) == 604 and probation_length(22695) == 750


def test_never_firing_scores_0_and_firing_at_the_window_start_scores_100() -> None:
    assert sweep(ROWS, [np.zeros(100)], STANDARD).score == 0.0
    assert evaluate(ROWS, fire(40), STANDARD, 0.5).score == pytest.approx(100.0)


def test_a_late_detection_earns_the_sigmoid_of_its_position() -> None:
    share = sigmoid_share(-1 / 10)  # row 49: -(49 - 49 + 1) / 10
    assert evaluate(ROWS, fire(49), STANDARD, 0.5).raw == pytest.approx(share)
    assert evaluate(ROWS, fire(49), STANDARD, 0.5).score == pytest.approx(100 * (share + 1) / 2)


def test_only_the_earliest_detection_in_a_window_counts() -> None:
    assert evaluate(ROWS, fire(41, 45, 49), STANDARD, 0.5).raw == pytest.approx(sigmoid_share(-9 / 10))


def test_false_positives_cost_the_fp_weight_less_just_after_a_window() -> None:
    before = evaluate(ROWS, fire(40, 20), STANDARD, 0.5).raw
    assert before == pytest.approx(1.0 - 0.11)
    after = evaluate(ROWS, fire(40, 50), STANDARD, 0.5).raw  # (50 - 49) / (10 - 1) past the window
    assert after == pytest.approx(1.0 + 0.11 * (2 / (1 + math.exp(5 / 9)) - 1))
    far = evaluate(ROWS, fire(40, 90), STANDARD, 0.5).raw
    assert far == pytest.approx(1.0 - 0.11)


def test_detections_in_the_probationary_period_are_ignored() -> None:
    assert evaluate(ROWS, fire(5), STANDARD, 0.5).fp == 0


def test_the_sweep_picks_the_threshold_that_keeps_the_window_and_drops_the_false_positive() -> None:
    scores = np.zeros(100)
    scores[40], scores[70] = 0.9, 0.6
    best = sweep(ROWS, [scores], STANDARD)
    assert best.threshold == 0.9 and (best.tp, best.fp, best.fn) == (1, 0, 0)


def test_one_threshold_is_shared_by_every_file_of_the_corpus() -> None:
    rows = ROWS + [file_rows("g.csv", 100, [])]
    a, b = np.zeros(100), np.zeros(100)
    a[40], b[[60, 70, 80]] = 0.5, 0.7  # firing g's three FPs is the price of any threshold <= 0.7
    best = sweep(rows, [a, b], STANDARD)
    assert (best.tp, best.fp) == (1, 3) and best.raw == pytest.approx(1 - 0.33)


def test_nab_results_precision_keeps_12_significant_digits_so_scores_near_1_become_1() -> None:
    rounded = as_nab_results(np.array([1 - 2e-13, 1 - 6e-13, 0.99999913933912, 0.5]))
    assert rounded.tolist() == [1.0, 0.999999999999, 0.999999139339, 0.5]


def test_at_nab_precision_a_near_tie_with_a_false_positive_can_no_longer_be_split() -> None:
    scores = np.zeros(100)
    scores[40], scores[90] = 1.0, 1 - 1e-13  # full precision keeps the window and drops the FP
    exact, as_nab = sweep(ROWS, [scores], STANDARD), sweep(ROWS, [scores], STANDARD, digits=12)
    assert (exact.threshold, exact.fp) == (1.0, 0) and exact.score == pytest.approx(100.0)
    assert (as_nab.threshold, as_nab.fp) == (1.0, 1) and as_nab.raw == pytest.approx(1 - 0.11)
