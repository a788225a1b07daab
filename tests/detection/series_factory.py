"""Synthetic series for detection tests: daily seasonality, noise, and one clear anomaly."""

from __future__ import annotations

import numpy as np

DAY = 86400.0


def seasonal_series(days: float = 3.0, step: float = 300.0, seed: int = 0,
                    spike_at: float | None = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """A daily sine plus noise; a spike of 20 noise sigmas at fraction `spike_at` of the span."""
    rng = np.random.default_rng(seed)
    ts = 1.7e9 + step * np.arange(int(days * DAY / step))
    x = 100.0 + 10.0 * np.sin(2 * np.pi * ts / DAY) + rng.normal(0.0, 1.0, len(ts))
    if spike_at is not None:
        x[int(spike_at * len(x))] += 20.0
    return ts, x


def messy(ts: np.ndarray) -> np.ndarray:
    """Real-world timestamps: a run of duplicates (a DST change) and a stretch that goes back in time."""
    out = ts.copy()
    n = len(out)
    out[n // 3: n // 3 + 12] = out[n // 3]
    out[n // 2: n // 2 + 20] -= 3600.0
    return out
