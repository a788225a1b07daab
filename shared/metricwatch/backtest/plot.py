"""A PNG of a series with its detections marked and label windows shaded.

matplotlib is imported here, inside the function, and only when a plot is
asked for: this package is vendored into cloud functions that never plot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from metricwatch.backtest.csvio import Series
from metricwatch.detection.models.base import OUTLIER, Scores

MARKERS = {"far_from_expected": ("o", "tab:red"), "jump": ("^", "tab:purple"),
           "sustained_shift": ("s", "tab:brown"), "stuck": ("X", "black")}  # by `reason`


def plot_series(path: str | Path, series: Series, scores: Scores, title: str,
                windows: list[tuple[float, float]] = ()) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    when = series.timestamps.astype("datetime64[s]")
    fig, ax = plt.subplots(figsize=(14, 4.5), dpi=100)
    for k, (start, end) in enumerate(windows):
        ax.axvspan(np.datetime64(int(start), "s"), np.datetime64(int(end), "s"), color="tab:orange",
                   alpha=0.18, label="label window" if k == 0 else None)
    if scores.lower is not None and scores.upper is not None:
        ax.fill_between(when, scores.lower, scores.upper, color="tab:blue", alpha=0.12, linewidth=0,
                        label="normal band")
    ax.plot(when, series.values, color="tab:blue", linewidth=0.7, label="value")
    hit = scores.anomaly == OUTLIER
    reasons = np.array([str(r or "") for r in scores.reason]) if scores.reason is not None else np.full(len(hit), "")
    for reason in sorted(set(reasons[hit])):
        mine = hit & (reasons == reason)
        marker, color = MARKERS.get(reason, ("o", "tab:red"))
        ax.scatter(when[mine], series.values[mine], marker=marker, color=color, s=32, zorder=3,
                   label=f"anomaly: {reason}" if reason else "detected anomaly")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
