"""The NAB corpus on disk: data files, label windows and scoring profiles.

Layout (see the corpus README): `data/<category>/<file>.csv`,
`labels/combined_windows.json` and `config/profiles.json`. Windows are given
as timestamps; they are turned into row indices here, in row order, so files
with repeated or backward timestamps are handled the same way as clean ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from metricwatch.backtest.csvio import Series, parse_stamps, read_series
from metricwatch.backtest.nab_scorer import FileRows, Profile, file_rows

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


class CorpusMissing(FileNotFoundError):
    """The NAB corpus is not where it was looked for."""


def check_corpus(root: str | Path) -> Path:
    root = Path(root)
    for part in ("data", "labels/combined_windows.json", "config/profiles.json"):
        if not (root / part).exists():
            raise CorpusMissing(f"NAB corpus not found: {root / part} is missing "
                                "(expected the corpus at ../shared/nab; see its README)")
    return root


def data_files(root: str | Path) -> list[str]:
    """Relative names (`category/file.csv`) of every series, sorted."""
    data = check_corpus(root) / "data"
    return sorted(str(p.relative_to(data)) for p in data.rglob("*.csv"))


def load_profiles(root: str | Path) -> list[Profile]:
    raw = json.loads((check_corpus(root) / "config/profiles.json").read_text())
    out = []
    for name in PROFILES:
        cost = raw[name]["CostMatrix"]
        out.append(Profile(name, cost["tpWeight"], cost["fpWeight"], cost["fnWeight"]))
    return out


def load_windows(root: str | Path) -> dict[str, list[tuple[float, float]]]:
    raw = json.loads((check_corpus(root) / "labels/combined_windows.json").read_text())
    return {name: [(float(parse_stamps([a])[0]), float(parse_stamps([b])[0])) for a, b in spans]
            for name, spans in raw.items()}


def window_rows(timestamps: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """Each window as (first row at or after its start, first row at its end or the last before it)."""
    out = []
    for start, end in spans:
        left = int(np.argmax(timestamps >= start))
        exact = np.flatnonzero(timestamps == end)
        right = int(exact[0]) if len(exact) else int(np.flatnonzero(timestamps <= end)[-1])
        out.append((left, right))
    return out


def corpus_rows(root: str | Path, names: list[str] | None = None) -> tuple[list[str], list[Series], list[FileRows]]:
    """Every (or the named) file's series and scoring rows."""
    windows = load_windows(root)
    names = names or data_files(root)
    series = [read_series(Path(root) / "data" / n) for n in names]
    rows = [file_rows(n, len(s), window_rows(s.timestamps, windows.get(n, []))) for n, s in zip(names, series)]
    return names, series, rows
