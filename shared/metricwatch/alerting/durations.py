"""Durations as Alertmanager writes them (`30s`, `5m`, `4h`, `1h30m`), and timedelta objects.

Routes take Alertmanager's strings so that a route can be copied from an
`alertmanager.yml`; (`absent_after`, in the detection metrics file, is a timedelta object like `train_interval`.)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")


def parse_duration(raw: Any) -> timedelta:
    """`1h30m` to a timedelta; ValueError saying the expected form otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    parts = PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{raw!r} is not a duration such as 30s, 5m, 4h or 1h30m")
    return timedelta(seconds=sum(int(n) * UNITS[u] for n, u in parts))


def show(delta: timedelta) -> str:
    """The shortest Alertmanager form of a whole number of seconds (`90s` is `1m30s`)."""
    seconds, out = int(delta.total_seconds()), ""
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, int(UNITS[unit]))
        out += f"{count}{unit}" if count else ""
    return out or "0s"
