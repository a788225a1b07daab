"""A series' window appended in place (`warm.Buffer`) holds what concatenating would, and no view ever changes."""

from __future__ import annotations

import numpy as np

from metricwatch.detection.warm import appended, room_for
from metricwatch.store.base import SeriesData


def concatenated(rows: SeriesData, ts: list[float], vs: list[float], n: int) -> SeriesData:
    """The window as it was built before buffers: both arrays concatenated, the last `n` rows kept."""
    return SeriesData(np.concatenate([rows.timestamps, ts])[-n:], np.concatenate([rows.values, vs])[-n:])


def test_appending_gives_the_concatenated_window_and_leaves_every_earlier_view_as_it_was():
    rng = np.random.default_rng(5)
    n = 10
    for start in (0, 3, 10, 14):  # a read shorter than the window, empty, full, longer (a tail)
        rows = SeriesData(np.arange(float(start)), rng.standard_normal(start))
        t, at, seen = float(start), None, []
        for _ in range(200):
            k = int(rng.integers(1, 6))
            ts, vs = [t + i for i in range(k)], rng.standard_normal(k).tolist()
            t += k
            expected = concatenated(rows, ts, vs, n)
            rows, at = appended(rows, at, ts, vs, n)
            np.testing.assert_array_equal(rows.timestamps, expected.timestamps)
            np.testing.assert_array_equal(rows.values, expected.values)
            seen.append((rows, rows.timestamps.copy(), rows.values.copy()))
        assert len(at[0].values) == room_for(n)
        for view, ts_then, vs_then in seen:
            np.testing.assert_array_equal(view.timestamps, ts_then)
            np.testing.assert_array_equal(view.values, vs_then)


def test_two_writes_after_the_same_rows_do_not_share_the_room_after_them():
    """A second append after rows another append already extended is copied, not written over the first's."""
    n = 8
    rows, at = appended(SeriesData(np.empty(0), np.empty(0)), None, [0.0, 1.0], [10.0, 11.0], n)
    first, first_at = appended(rows, at, [2.0], [12.0], n)
    second, second_at = appended(rows, at, [3.0], [13.0], n)
    assert first_at[0] is at[0] and second_at[0] is not at[0]
    np.testing.assert_array_equal(first.values, [10.0, 11.0, 12.0])
    np.testing.assert_array_equal(second.values, [10.0, 11.0, 13.0])
    np.testing.assert_array_equal(rows.values, [10.0, 11.0])


def test_more_new_points_than_the_window_keeps_its_last_rows():
    rows, at = appended(SeriesData(np.arange(3.0), np.arange(3.0)), None, [float(i) for i in range(3, 40)],
                        [float(i) for i in range(3, 40)], 5)
    np.testing.assert_array_equal(rows.values, [35.0, 36.0, 37.0, 38.0, 39.0])
    rows, _ = appended(rows, at, [float(i) for i in range(40, 80)], [float(i) for i in range(40, 80)], 5)
    np.testing.assert_array_equal(rows.values, [75.0, 76.0, 77.0, 78.0, 79.0])
