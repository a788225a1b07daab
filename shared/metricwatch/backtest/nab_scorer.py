"""The NAB scoring rules (Lavin & Ahmad 2015), written from the paper's description.

Per file, every row gets the weight it would earn if it were a detection:
- inside a label window, a scaled sigmoid of its position in the window,
  so the window's first row earns the full TP weight and its last about 0;
  only a window's earliest detection counts, and a window with none costs
  the FN weight;
- outside every window, the FP weight times a scaled sigmoid of the distance
  after the preceding window (full cost before any window, less just after one).
The first 15% of a file (at most 750 rows) is probationary and not scored.
One threshold per profile is chosen over the whole corpus, and the total is
normalised so that never firing scores 0 and a perfect detector 100.

NAB's published scores were swept over the anomaly scores as its results
CSVs hold them, 12 significant digits (the Python 2 tools it ran wrote floats
so), not over the detector's full-precision floats. `sweep(..., digits=12)`
reproduces that, so a published row can be checked exactly; our own headline
scores sweep the full-precision scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROBATION_FRACTION = 0.15
NAB_RESULTS_DIGITS = 12  # significant digits of anomaly_score in NAB's published results files


@dataclass(frozen=True)
class Profile:
    name: str
    tp: float
    fp: float
    fn: float


@dataclass
class FileRows:
    """One file's rows as the scorer sees them (probationary rows already removed)."""

    name: str
    window: np.ndarray   # window id per row, -1 outside windows
    tp_share: np.ndarray  # in-window rows: fraction of the TP weight earned (1 at the window's start)
    fp_share: np.ndarray  # out-of-window rows: fraction of the FP weight paid (<= 0)
    n_windows: int
    probation: int  # rows before this are not scored


def scaled_sigmoid(position: np.ndarray) -> np.ndarray:
    """2*sigmoid(-5x) - 1, and -1 beyond x = 3 (far past a window).

    Strictly beyond, as NAB's sweeper does: at x = 3 exactly the formula gives
    -0.9999994, and the published Windowed Gaussian totals carry that value.
    """
    position = np.asarray(position, dtype=np.float64)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position > 3.0, -1.0, value)


def as_nab_results(scores: np.ndarray, digits: int = NAB_RESULTS_DIGITS) -> np.ndarray:
    """Anomaly scores rounded as NAB's published results CSVs store them ('%.12g').

    The rounding matters only at the top: every score within 5e-13 of 1 becomes
    exactly 1.0, so thresholds that full precision can tell apart merge into one
    tie and NAB's sweep lands on a slightly worse one (Windowed Gaussian: 39.65
    published, 40.13 at full precision). Use it to check a published row, not
    to rank our models.
    """
    scores = np.asarray(scores, dtype=np.float64)
    return np.char.mod(f"%.{digits}g", scores).astype(np.float64) if scores.size else scores


def probation_length(n_rows: int) -> int:
    return int(min(np.floor(PROBATION_FRACTION * n_rows), PROBATION_FRACTION * 5000))


def file_rows(name: str, n_rows: int, windows: list[tuple[int, int]]) -> FileRows:
    """Weights of every row, from the windows as (first row, last row) index pairs."""
    window = np.full(n_rows, -1, dtype=np.int64)
    tp_share = np.zeros(n_rows)
    fp_share = -np.ones(n_rows)
    max_tp = float(scaled_sigmoid(-1.0))
    for k, (left, right) in enumerate(sorted(windows)):
        rows = np.arange(left, right + 1)
        width = right - left + 1
        window[rows] = k
        tp_share[rows] = scaled_sigmoid(-(right - rows + 1) / width) / max_tp
        after = np.arange(right + 1, n_rows)
        fp_share[after] = scaled_sigmoid((after - right) / max(width - 1, 1))
    keep = np.arange(n_rows) >= probation_length(n_rows)
    kept_windows = np.unique(window[keep & (window >= 0)])
    remap = {int(w): i for i, w in enumerate(kept_windows)}
    window_kept = np.array([remap.get(int(w), -1) for w in window[keep]], dtype=np.int64)
    return FileRows(name, window_kept, tp_share[keep], fp_share[keep], len(kept_windows),
                    probation_length(n_rows))


@dataclass(frozen=True)
class Outcome:
    threshold: float
    raw: float
    score: float  # normalised: null 0, perfect 100
    tp: int
    fp: int
    fn: int


def _deltas(rows: list[FileRows], profile: Profile, order_key: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: its score and how much the total changes when it becomes a detection.

    Rows are visited from the highest score down; a window's value only changes
    when a row earlier in it than any detection so far is added.
    """
    scores, deltas = [], []
    for file, s in zip(rows, order_key):
        s = np.asarray(s, dtype=np.float64)[file.probation:]
        order = np.argsort(-s, kind="stable")
        delta = np.where(file.window < 0, profile.fp * file.fp_share, 0.0)[order]
        win = file.window[order]
        gain = (profile.tp * file.tp_share)[order]
        for k in range(file.n_windows):
            idx = np.flatnonzero(win == k)
            best = np.maximum.accumulate(np.concatenate(([-profile.fn], gain[idx])))
            delta[idx] = np.diff(best)
        scores.append(s[order])
        deltas.append(delta)
    return np.concatenate(scores), np.concatenate(deltas)


def sweep(rows: list[FileRows], scores: list[np.ndarray], profile: Profile,
          digits: int | None = None) -> Outcome:
    """The best single threshold over the whole corpus, and the normalised score it gives.

    `digits=None` sweeps the scores as given (our headline). `digits=12`
    (NAB_RESULTS_DIGITS) first rounds them as NAB's results files did, which is
    how its published scores were swept; the sweep itself is the same exact one.
    """
    if digits is not None:
        scores = [as_nab_results(s, digits) for s in scores]
    null = -profile.fn * sum(f.n_windows for f in rows)
    s, delta = _deltas(rows, profile, scores)
    order = np.argsort(-s, kind="stable")
    s, total = s[order], null + np.cumsum(delta[order])
    last_of_tie = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    candidates = np.append(total[last_of_tie], null)
    thresholds = np.append(s[last_of_tie], np.inf)
    best = int(np.argmax(candidates))
    return evaluate(rows, scores, profile, float(thresholds[best]))


def evaluate(rows: list[FileRows], scores: list[np.ndarray], profile: Profile, threshold: float) -> Outcome:
    """The NAB total at one fixed threshold (detection: score >= threshold)."""
    raw, tp, fp, fn = 0.0, 0, 0, 0
    for file, s in zip(rows, scores):
        hit = np.asarray(s, dtype=np.float64)[file.probation:] >= threshold
        fp_rows = hit & (file.window < 0)
        fp += int(fp_rows.sum())
        raw += profile.fp * float(file.fp_share[fp_rows].sum())
        for k in range(file.n_windows):
            in_window = hit & (file.window == k)
            if in_window.any():
                tp += 1
                raw += profile.tp * float(file.tp_share[in_window].max())
            else:
                fn += 1
                raw -= profile.fn
    n_windows = sum(f.n_windows for f in rows)
    null, perfect = -profile.fn * n_windows, profile.tp * n_windows
    score = 100.0 * (raw - null) / (perfect - null) if perfect > null else 0.0
    return Outcome(threshold, raw, score, tp, fp, fn)
