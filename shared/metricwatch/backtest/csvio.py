"""Read `timestamp,value` CSVs and write NAB-layout results CSVs.

Timestamps are kept twice: as float epoch seconds for the models and as the
original text, so a results file repeats the input's timestamps byte for byte
and any NAB scorer can join it to its label windows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metricwatch.detection.models.base import Scores
from metricwatch.errors import InvalidInput

RESULT_COLUMNS = ("timestamp", "value", "anomaly_score", "anomaly")


@dataclass(frozen=True)
class Series:
    """One series in row order (never sorted: real files go back in time)."""

    stamps: list[str]
    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def parse_stamps(stamps: list[str]) -> np.ndarray:
    """ISO-like text (naive means UTC) or epoch seconds -> float epoch seconds."""
    try:
        return np.array(stamps, dtype=np.float64)
    except ValueError:
        cleaned = [s.strip().replace("Z", "").replace("T", " ") for s in stamps]
        return np.array(cleaned, dtype="datetime64[ms]").astype(np.int64) / 1000.0


def _numbers(path: str | Path, body: list[tuple[int, list[str]]]) -> np.ndarray:
    """The value column; the first cell that is not a finite number is named with its line."""
    try:
        values = np.array([float(r[1]) for _, r in body], dtype=np.float64)
    except (ValueError, IndexError):
        values = np.full(len(body), np.nan)
    if np.isfinite(values).all():
        return values
    line, row = next((n, r) for n, r in body if not _finite(r))
    raise InvalidInput(f"{path} line {line}: value {row[1] if len(row) > 1 else ''!r} is not a finite number")


def _finite(row: list[str]) -> bool:
    try:
        return len(row) > 1 and bool(np.isfinite(float(row[1])))
    except ValueError:
        return False


def read_series(path: str | Path) -> Series:
    """One CSV; anything that stops it being read is an `InvalidInput` naming the file (and line)."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc}") from None
    header = [h.strip().lower() for h in rows[0][1]] if rows else []
    if header[:2] != ["timestamp", "value"]:
        raise InvalidInput(f"{path}: expected a header starting 'timestamp,value', got {rows[0][1] if rows else 'nothing'}")
    body = [(n, r) for n, r in rows[1:] if r]
    values = _numbers(path, body)
    stamps = [r[0] for _, r in body]
    try:
        timestamps = parse_stamps(stamps)
    except ValueError:
        raise InvalidInput(f"{path}: timestamps must all be ISO 8601 or all epoch seconds "
                           f"(first row: {stamps[0]!r})") from None
    return Series(stamps, timestamps, values)


def write_results(path: str | Path, series: Series, scores: Scores) -> None:
    """`timestamp,value,anomaly_score,anomaly`: the NAB results layout."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(RESULT_COLUMNS)
        for stamp, value, score, verdict in zip(series.stamps, series.values, scores.score, scores.anomaly):
            out.writerow((stamp, repr(float(value)), f"{float(score):.6g}", int(verdict)))


def read_scores(path: str | Path) -> tuple[list[str], np.ndarray]:
    """The timestamps and anomaly scores of a results file."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [(r["timestamp"], float(r["anomaly_score"])) for r in reader]
    return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.float64)
