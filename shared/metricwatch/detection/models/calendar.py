"""Calendar features from float epoch seconds, vectorised (no pandas on the hot path)."""

from __future__ import annotations

import numpy as np


def calendar_features(timestamps: np.ndarray) -> dict[str, np.ndarray]:
    """hour, day of week (Mon=0), day of month, day of year, ISO week of year."""
    seconds = np.asarray(timestamps, dtype=np.float64)
    days = np.floor(seconds / 86400.0).astype("int64")
    date = days.astype("datetime64[D]")
    day_of_year = (date - date.astype("datetime64[Y]")).astype("int64") + 1
    day_of_week = (days + 3) % 7  # 1970-01-01 was a Thursday
    week = (day_of_year - (day_of_week + 1) + 10) // 7
    return {
        "hour": np.floor(seconds % 86400.0 / 3600.0),
        "day_of_week": day_of_week.astype(np.float64),
        "day_of_month": ((date - date.astype("datetime64[M]")).astype("int64") + 1).astype(np.float64),
        "day_of_year": day_of_year.astype(np.float64),
        "week_of_year": np.clip(week, 1, 53).astype(np.float64),
    }
