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
    try:
        return timedelta(seconds=sum(int(n) * UNITS[u] for n, u in parts))
    except OverflowError:  # more days than a timedelta holds (999999999)
        raise ValueError(f"{raw!r} is longer than any duration we can use") from None


def show(delta: timedelta) -> str:
    """The shortest Alertmanager form (`90s` is `1m30s`, `1.5s` is `1s500ms`)."""
    millis, out = round(delta.total_seconds() * 1000), ""
    seconds, millis = divmod(millis, 1000)
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, int(UNITS[unit]))
        out += f"{count}{unit}" if count else ""
    out += f"{millis}ms" if millis else ""
    return out or "0s"
