"""Backtest every CSV under a directory and write NAB-layout results.

`<out>/<model>/<relative dir>/<model>_<file name>` with columns
`timestamp,value,anomaly_score,anomaly`, so any NAB scorer can read them.
Files are spread over `jobs` processes (one file is one replay).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metricwatch.backtest.csvio import read_series, write_results
from metricwatch.backtest.progress import Progress
from metricwatch.backtest.replay import ReplayConfig, replay_counted
from metricwatch.errors import InvalidInput


@dataclass(frozen=True)
class FileResult:
    relative: str
    points: int
    scores: np.ndarray
    scored: int = 0  # rows a model scored; 0: the file never got one
    error: str | None = None  # why the file could not be read (only with keep_going)


def result_path(out: str | Path, model: str, relative: str) -> Path:
    rel = Path(relative)
    return Path(out) / model / rel.parent / f"{model}_{rel.name}"


def csv_files(data: str | Path) -> list[str]:
    root = Path(data)
    if not root.is_dir():
        raise FileNotFoundError(f"no such data directory: {root}")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.csv"))


def backtest_file(data: str, out: str | None, relative: str, config: ReplayConfig,
                  keep_going: bool = False) -> FileResult:
    try:
        series = read_series(Path(data) / relative)
    except InvalidInput as exc:
        if not keep_going:
            raise
        return FileResult(relative, 0, np.zeros(0), error=exc.message)
    scores, scored = replay_counted(series.timestamps, series.values, config)
    if out is not None:
        write_results(result_path(out, config.model, relative), series, scores)
    return FileResult(relative, len(series), scores.score, scored)


def backtest_dir(data: str | Path, out: str | Path | None, config: ReplayConfig, jobs: int = 1,
                 files: list[str] | None = None, progress: Progress | None = None,
                 keep_going: bool = False) -> list[FileResult]:
    """Replay every file (sorted by name); results come back in that order.

    With `keep_going`, a file that cannot be read is reported in its result and
    the others still run (a user's directory); without, it raises (a benchmark's
    corpus must be whole).
    """
    names = files if files is not None else csv_files(data)
    progress = progress or Progress(len(names))
    args = [(str(data), None if out is None else str(out), n, config, keep_going) for n in names]
    results: list[FileResult] = []
    if jobs <= 1:
        for a in args:
            results.append(backtest_file(*a))
            _report(progress, results[-1])
        return results
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(backtest_file, *a) for a in args]
        for future in futures:
            results.append(future.result())
            _report(progress, results[-1])
    return results


def _report(progress: Progress, result: FileResult) -> None:
    progress.file_done(result.relative, result.points, result.scored, result.error)
