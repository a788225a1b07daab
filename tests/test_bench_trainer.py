"""`make bench-trainer`'s fan-out part runs the real sharding code and prints what it measured."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_fanout  # noqa: E402


def test_the_fan_out_part_trains_every_series_once_and_prints_the_tables():
    lines: list[str] = []
    latency = bench_fanout.Latency(read_s=0.001, save_s=0.001, distinct_s_per_series=0.0, page_s=0.001, create_s=0.0)
    bench_fanout.report([300], sample=2, latency=latency, force=3, emit=lines.append)
    text = "\n".join(lines)
    assert "measured on a sample of 2 real fits" in text
    assert "300 series through the sharding code" in text and "3 shards of 100" in text
    assert "every series trained exactly once: yes" in text
    assert "| 300 | " in text and "N=100" in text
