"""What each backtest command does, kept out of the CLI so tests can call it directly."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from metricwatch.backtest.csvio import Series, parse_stamps, read_series, write_results
from metricwatch.backtest.progress import Progress
from metricwatch.backtest.replay import ReplayConfig, replay
from metricwatch.backtest.runner import backtest_dir, csv_files
from metricwatch.detection.models.base import Scores
from metricwatch.store.base import MetricStore


def read_windows(path: str, key: str | None = None) -> list[tuple[float, float]]:
    """Windows from a JSON list of [start, end], or one file's entry of a NAB windows file."""
    raw = json.loads(Path(path).read_text())
    if isinstance(raw, dict) and key not in raw:
        raise KeyError(f"a NAB windows file needs --key naming one of its files, e.g. {next(iter(raw), '?')!r}")
    spans = raw[key] if isinstance(raw, dict) else raw
    return [(float(parse_stamps([a])[0]), float(parse_stamps([b])[0])) for a, b in spans]


def run_csv(data: str, out: str, config: ReplayConfig, jobs: int) -> int:
    names = csv_files(data)
    if not names:
        print(f"no CSV files under {data}", file=sys.stderr)
        return 1
    progress = Progress(len(names))
    backtest_dir(data, out, config, jobs=jobs, files=names, progress=progress, keep_going=True)
    print(progress.summary())
    print(f"results: {Path(out) / config.model}/")
    return 1 if progress.failed else 0


def run_plot(csv: str, png: str, config: ReplayConfig, windows: list[tuple[float, float]]) -> int:
    from metricwatch.backtest.plot import plot_series

    series = read_series(csv)
    scores = replay(series.timestamps, series.values, config)
    plot_series(png, series, scores, f"{Path(csv).name}: {config.model}", windows)
    print(f"wrote {png} ({int((scores.anomaly == -1).sum())} detections in {len(series)} points)")
    return 0


def backtest_stored(store: MetricStore, metric: str, labels: dict[str, str], start: datetime | None,
                    end: datetime | None, config: ReplayConfig) -> tuple[Series, Scores]:
    """Replay one stored series (by metric name and labels) and return it with its scores."""
    from metricwatch.backtest.stored import stored_series

    series = stored_series(store, metric, labels, start, end)
    return series, replay(series.timestamps, series.values, config)


def run_stored(metric: str, labels: dict[str, str], start: datetime | None, end: datetime | None,
               config: ReplayConfig, png: str | None, out: str | None,
               windows: list[tuple[float, float]]) -> int:
    from metricwatch.config import load_settings
    from metricwatch.store import open_store

    series, scores = backtest_stored(open_store(load_settings()), metric, labels, start, end, config)
    if out:
        write_results(out, series, scores)
    if png:
        from metricwatch.backtest.plot import plot_series

        plot_series(png, series, scores, f"{metric} {labels or ''}: {config.model}", windows)
    print(f"{metric}: {len(series)} points, {int((scores.anomaly == -1).sum())} detections"
          + (f", plot {png}" if png else "") + (f", results {out}" if out else ""))
    return 0
