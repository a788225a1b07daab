"""A metric's declared time zone, direction and kind (`detection_metrics.json`), as a specification.

- `timezone`: the daily profile follows the local clock, so a peak at 09:00
  Europe/Berlin is still expected at 09:00 after the clocks go forward, and a
  spike at 03:00 local is still news.
- `direction`: `up` never alerts on a drop, `down` never on a rise; the other
  side still alerts, and a silenced row says why.
- `kind: counter`: judged by its rate, so a reset to 0 is no alarm and a
  change in the rate is one.
- Defaults change nothing: the same model object, the same verdicts.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from metricwatch.backtest.replay import ReplayConfig, replay
from metricwatch.detection.catalog import parse_catalog
from metricwatch.detection.declared import (
    DEFAULT, Declared, DeclaredModel, build_model, counter_rates, local_clock, utc_offsets)
from metricwatch.detection.models import create_model
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel
from metricwatch.errors import ConfigError

from .series_factory import DAY, messy, seasonal_series

BERLIN = ZoneInfo("Europe/Berlin")
STEP = 300.0
SPRING_FORWARD = datetime(2024, 3, 31, 1, 0, tzinfo=timezone.utc).timestamp()  # 02:00 CET -> 03:00 CEST


def _local_hours(ts: np.ndarray) -> np.ndarray:
    return np.array([(lambda d: d.hour + d.minute / 60.0)(datetime.fromtimestamp(t, BERLIN)) for t in ts])


def berlin_office_series(seed: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """5-minute data, 13 days from 2024-03-22 UTC: a peak of +60 around 09:00 Berlin time each day, noise 3.

    Returns the timestamps, the values and the row of the spring-forward change (2024-03-31 01:00 UTC).
    """
    start = datetime(2024, 3, 22, tzinfo=timezone.utc).timestamp()
    ts = start + STEP * np.arange(int(13 * DAY / STEP))
    rng = np.random.default_rng(seed)
    x = 100.0 + 60.0 * np.exp(-0.5 * ((_local_hours(ts) - 9.0) / 0.75) ** 2) + rng.normal(0.0, 3.0, len(ts))
    return ts, x, int(np.searchsorted(ts, SPRING_FORWARD))


def fired_after_change(tz: str, x: np.ndarray | None = None) -> tuple[list[str], object]:
    """Trained on the 7 days before the change, the local times of the outliers in the 4 days after it."""
    ts, base, change = berlin_office_series()
    x = base if x is None else x
    model = build_model("robust_seasonal", {}, Declared(timezone=tz)).fit(ts[change - 7 * 288:change],
                                                                       x[change - 7 * 288:change])
    context = model.context_points
    got = model.score(ts[change - context:], x[change - context:], start=context)
    rows = np.flatnonzero(got.anomaly == -1) + change
    return [datetime.fromtimestamp(ts[i], BERLIN).strftime("%m-%d %H:%M") for i in rows], got


# -- timezone ------------------------------------------------------------------------------------

def test_with_the_local_timezone_the_09_00_peak_after_the_dst_change_is_an_inlier() -> None:
    fired, got = fired_after_change("Europe/Berlin")
    assert fired == []
    ts, x, change = berlin_office_series()
    peak = int(np.argmax(x[change:change + 288]))  # the first day's peak, 09:00 CEST = 07:00 UTC
    assert got.lower[peak] < x[change + peak] < got.upper[peak]
    assert got.expected[peak] > 140.0  # it expected the peak there


def test_in_utc_the_same_peak_an_hour_early_is_an_outlier() -> None:
    fired, _ = fired_after_change("UTC")
    assert fired and fired[0].startswith("03-31 0")  # the first morning after the change, before 10:00 local


def test_a_spike_at_03_00_local_after_the_change_is_an_outlier() -> None:
    ts, x, change = berlin_office_series()
    x = x.copy()
    three = change + int(np.flatnonzero(np.abs(_local_hours(ts[change:]) - 27.0 % 24) < 1e-9)[1])  # 04-01 03:00
    x[three] += 40.0
    fired, got = fired_after_change("Europe/Berlin", x)
    assert fired == ["04-01 03:00"]
    assert got.reason[three - change] == "far_from_expected"


def test_utc_offsets_match_zoneinfo_at_every_row_and_at_the_change_to_the_second() -> None:
    rng = np.random.default_rng(0)
    ts = np.sort(rng.uniform(1.6e9, 1.6e9 + 3 * 365 * DAY, 5000))
    for name in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"):
        tz = ZoneInfo(name)
        want = [datetime.fromtimestamp(t, tz).utcoffset().total_seconds() for t in ts]
        assert utc_offsets(ts, name).tolist() == want, name
    day = SPRING_FORWARD + STEP * np.arange(-100, 100)  # a scored block across the change
    assert utc_offsets(day, "Europe/Berlin").tolist() == [
        datetime.fromtimestamp(t, BERLIN).utcoffset().total_seconds() for t in day]
    at = np.array([SPRING_FORWARD - 1, SPRING_FORWARD, SPRING_FORWARD + 1])
    assert utc_offsets(at, "Europe/Berlin").tolist() == [3600.0, 7200.0, 7200.0]
    assert local_clock(at, "UTC") is not None and (local_clock(at, "UTC") == at).all()


def test_the_local_clock_takes_rows_out_of_order_and_nonsense_timestamps() -> None:
    ts = messy(1.7e9 + STEP * np.arange(2000))
    assert len(utc_offsets(np.concatenate((ts, [np.nan, 1e300, -1e300])), "Europe/Berlin")) == len(ts) + 3
    model = build_model("robust_seasonal", {}, Declared(timezone="Europe/Berlin"))
    x = np.random.default_rng(0).normal(10.0, 1.0, len(ts))
    got = model.fit(ts[:1500], x[:1500]).score(ts, x, start=1500)
    assert len(got.anomaly) == 500


# -- direction -----------------------------------------------------------------------------------

def _stepped(kind: str, size: float = 25.0) -> tuple[np.ndarray, np.ndarray, int]:
    """A daily sine with noise 1 for 3 days; from 2.5 days, `size` sigmas off for 2 hours ("rise"/"drop")."""
    ts, x = seasonal_series(days=3.0, spike_at=None, seed=5)
    at = int(2.5 * DAY / STEP)
    x[at:at + 24] += size if kind == "rise" else -size
    return ts, x, at


@pytest.mark.parametrize("model_name", ["robust_seasonal", "robust_zscore"])
def test_a_drop_in_a_metric_declared_up_is_an_inlier_and_says_why(model_name: str) -> None:
    ts, x, at = _stepped("drop", size=60.0 if model_name == "robust_zscore" else 25.0)
    cut = 2 * 288
    both = build_model(model_name, {}, DEFAULT).fit(ts[:cut], x[:cut]).score(ts, x, start=cut)
    assert (both.anomaly[at - cut:at - cut + 24] == -1).any()  # the drop is news by default
    up = build_model(model_name, {}, Declared(direction="up")).fit(ts[:cut], x[:cut]).score(ts, x, start=cut)
    assert (up.anomaly == 1).all()
    assert "direction" in set(up.silenced[at - cut:at - cut + 24].tolist())
    assert up.expected is not None and np.isfinite(up.expected).all()  # explanations stay


@pytest.mark.parametrize("model_name", ["robust_seasonal", "robust_zscore"])
def test_a_rise_in_a_metric_declared_up_is_an_outlier(model_name: str) -> None:
    ts, x, at = _stepped("rise", size=60.0 if model_name == "robust_zscore" else 25.0)
    cut = 2 * 288
    up = build_model(model_name, {}, Declared(direction="up")).fit(ts[:cut], x[:cut]).score(ts, x, start=cut)
    fired = np.flatnonzero(up.anomaly == -1) + cut
    assert len(fired) and at <= fired[0] < at + 3
    row = up.row(fired[0] - cut)
    assert row["upper"] < x[fired[0]]
    assert row.get("reason") or model_name == "robust_zscore"  # robust_zscore names no reason


def test_down_is_the_mirror_of_up() -> None:
    cut = 2 * 288
    for kind, want in (("rise", False), ("drop", True)):
        ts, x, at = _stepped(kind)
        got = build_model("robust_seasonal", {}, Declared(direction="down")).fit(ts[:cut], x[:cut]).score(
            ts, x, start=cut)
        assert bool((got.anomaly == -1).any()) is want, kind


def test_the_way_back_after_a_harmless_drop_is_no_alarm_but_a_larger_rise_is() -> None:
    """The model decides with both sides, one alarm per event: the recovery from a drop (which the level had
    partly followed, so it reads as a rise) belongs to the drop; a rise larger than the drop is news."""
    ts, x = seasonal_series(days=3.0, spike_at=None, seed=5)
    drop = int(2.3 * DAY / STEP)
    x[drop:drop + 36] -= 15.0  # 3 hours down, then back
    cut = 2 * 288
    up = build_model("robust_seasonal", {}, Declared(direction="up")).fit(ts[:cut], x[:cut])
    assert (up.score(ts, x, start=cut).anomaly == 1).all()
    rise = drop + 72
    x[rise:rise + 12] += 40.0
    fired = np.flatnonzero(up.score(ts, x, start=cut).anomaly == -1) + cut
    # within the rise: the drop's 3 hours read as a long shift, so the rise fires once its own evidence
    # (the row, then its mean over the long window) is larger than the drop's
    assert len(fired) == 1 and rise <= fired[0] < rise + 12


# -- kind: counter -------------------------------------------------------------------------------

def request_counter(seed: int = 2, days: int = 10, rate_after: float | None = None,
                    reset_at: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """A request counter scraped every minute, ~10 requests/s (Poisson); optionally the rate changes
    (`rate_after`, per second) or the process restarts and counts again from 0 (`reset_at`) at 8.5 days."""
    rng = np.random.default_rng(seed)
    n = days * 1440
    ts = 1.7e9 + 60.0 * np.arange(n)
    at = int(8.5 * 1440)
    rate = np.where(np.arange(n) >= at, rate_after if rate_after is not None else 10.0, 10.0)
    x = np.cumsum(rng.poisson(rate * 60.0)).astype(np.float64)
    if reset_at is not None:
        x[at:] -= x[at]  # reads 0 at the restart, then counts on
    return ts, x, at


def _counter_scores(x: np.ndarray, ts: np.ndarray, kind: str = "counter"):
    cut = 7 * 1440
    model = build_model("robust_seasonal", {}, Declared(kind=kind)).fit(ts[:cut], x[:cut])
    return model.score(ts, x, start=cut), cut


def test_a_counter_that_resets_to_0_and_keeps_counting_is_no_anomaly() -> None:
    ts, x, at = request_counter(reset_at=8.5)
    assert x[at] == 0.0 and x[at + 1] > 0
    got, cut = _counter_scores(x, ts)
    assert (got.anomaly == 1).all()
    gauge, _ = _counter_scores(x, ts, kind="gauge")  # judged as a gauge, the fall to 0 is an alarm
    assert gauge.anomaly[at - cut] == -1


def test_a_counter_whose_rate_jumps_is_an_anomaly_explained_in_the_counters_units() -> None:
    ts, x, at = request_counter(rate_after=15.0)
    got, cut = _counter_scores(x, ts)
    fired = np.flatnonzero(got.anomaly == -1) + cut
    assert len(fired) and at <= fired[0] < at + 3
    row = got.row(fired[0] - cut)
    assert x[fired[0] - 1] < row["lower"] < row["expected"] < row["upper"] < x[fired[0]]
    assert abs(row["expected"] - (x[fired[0] - 1] + 600.0)) < 30.0  # the previous value + 10/s for 60 s


def test_a_counter_that_stops_counting_is_an_anomaly() -> None:
    ts, x, at = request_counter()
    x[at:] = x[at]  # the service stopped serving: the counter stays put
    got, cut = _counter_scores(x, ts)
    fired = np.flatnonzero(got.anomaly == -1) + cut
    assert len(fired) and at <= fired[0] < at + 3


def test_counter_rates() -> None:
    ts = np.array([0.0, 60.0, 120.0, 120.0, 180.0, 240.0, 300.0])
    x = np.array([100.0, 160.0, 220.0, 220.0, 40.0, 100.0, 700.0])
    r = counter_rates(ts, x)
    assert np.isnan(r[0])
    # 1/s, 1/s, a resend repeats it, a reset to 40 (40/60 < 1/s: the previous rate), 1/s, 10/s
    assert r[1:].tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 10.0]
    assert counter_rates(np.array([0.0, 60.0]), np.array([100.0, 700.0])).tolist()[1] == 10.0  # 0 -> 700 in 60 s
    assert counter_rates(ts[:1], x[:1]).tolist() == [] or np.isnan(counter_rates(ts[:1], x[:1])).all()


def test_a_counters_first_point_without_context_is_an_inlier() -> None:
    ts, x, _ = request_counter()
    model = build_model("robust_seasonal", {}, Declared(kind="counter")).fit(ts[:2000], x[:2000])
    assert model.context_points == RobustSeasonalModel().context_points + 1
    one = model.score(ts[2000:2001], x[2000:2001], start=0)
    assert one.anomaly.tolist() == [1] and one.score.tolist() == [0.0]
    two = model.score(ts[2000:2010], x[2000:2010], start=0)
    assert len(two.anomaly) == 10


# -- defaults, catalog, model file, backtest -----------------------------------------------------

def test_the_default_declaration_builds_the_plain_model() -> None:
    model = build_model("robust_seasonal", {}, DEFAULT)
    assert type(model) is RobustSeasonalModel
    assert pickle.dumps(model.fit(*seasonal_series(days=3.0))) == pickle.dumps(
        create_model("robust_seasonal").fit(*seasonal_series(days=3.0)))


def test_a_declared_model_file_stays_small_and_loads() -> None:
    ts, x, _ = request_counter(days=8)
    plain = create_model("robust_seasonal").fit(ts, x)
    declared = build_model("robust_seasonal", {}, Declared("Europe/Berlin", "up", "counter")).fit(ts, x)
    assert len(pickle.dumps(declared)) < len(pickle.dumps(plain)) + 600
    back = pickle.loads(pickle.dumps(declared))
    assert isinstance(back, DeclaredModel) and back.declared == Declared("Europe/Berlin", "up", "counter")
    assert (back.score(ts, x, start=len(ts) - 50).anomaly == declared.score(ts, x, start=len(ts) - 50).anomaly).all()


def test_the_catalog_reads_the_fields_with_their_defaults() -> None:
    catalog = parse_catalog([{"name": "latency_ms", "timezone": "Europe/Berlin", "direction": "up"},
                             {"name": "requests_total", "kind": "counter"}, {"name": "cpu"}], "robust_seasonal")
    assert catalog["latency_ms"].declared == Declared("Europe/Berlin", "up", "gauge")
    assert catalog["requests_total"].declared == Declared("UTC", "both", "counter")
    assert catalog["cpu"].declared == DEFAULT


@pytest.mark.parametrize("field,value,says", [
    ("timezone", "Europe/Berlinn", "'timezone': unknown time zone 'Europe/Berlinn'"),
    ("timezone", "../../etc/passwd", "'timezone': unknown time zone"),
    ("timezone", 1, "'timezone' must be an IANA time zone name"),
    ("direction", "upward", "'direction' must be one of ['both', 'up', 'down'], got 'upward'"),
    ("direction", None, "'direction' must be one of"),
    ("kind", "histogram", "'kind' must be one of ['gauge', 'counter'], got 'histogram'"),
])
def test_a_bad_value_is_refused_naming_the_metric_and_the_field(field: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_catalog([{"name": "ok"}, {"name": "latency_ms", field: value}], "robust_seasonal")
    assert "entry 1 ('latency_ms')" in caught.value.message and says in caught.value.message


def test_the_backtest_replays_with_the_declaration() -> None:
    ts, x, at = request_counter(reset_at=8.5)
    counter = replay(ts, x, ReplayConfig("robust_seasonal", declared=Declared(kind="counter")))
    gauge = replay(ts, x, ReplayConfig("robust_seasonal"))
    assert counter.anomaly[at] == 1 and gauge.anomaly[at] == -1


def test_the_detector_trains_and_scores_a_counter_as_the_catalog_declares(collection, tmp_path) -> None:
    """End to end: the catalog's `kind` reaches the trainer and the live scoring (context one point longer)."""
    from metricwatch.detection.detector import Detector
    from metricwatch.modelstore.cache import ModelCache
    from metricwatch.modelstore.local import FileModelStore
    from metricwatch.points import Point
    from metricwatch.store import MongoMetricStore, StoredPoint

    from conftest import NOW

    store = MongoMetricStore(collection)
    ts, x, _ = request_counter(days=7)
    ts = ts - ts[-1] + (NOW.timestamp() - 60.0)  # the last point a minute before NOW
    store.insert([StoredPoint(Point("requests_total", float(v), datetime.fromtimestamp(t, timezone.utc), {}))
                  for t, v in zip(ts, x)])
    catalog = parse_catalog([{"name": "requests_total", "kind": "counter", "direction": "up"}], "robust_seasonal")
    models = FileModelStore(tmp_path / "models")
    detector = Detector(catalog, store, models, ModelCache(models, 0), clock=lambda: NOW)
    assert [m["object"] for m in detector.train().models] == ["requests_total_robust_seasonal.joblib"]
    last = float(x[-1])

    def verdict(value: float) -> int | None:
        return detector.predict("requests_total", {"labels": {}, "value": value, "timestamp": NOW})

    assert verdict(last + 600.0) == 1  # 10/s as usual
    assert verdict(35.0) == 1  # restarted and counting again from 0: a reset, no alarm
    assert verdict(last + 6000.0) == -1  # 100/s: the rate jumped
    assert verdict(last + 10.0) == 1  # the rate fell to 1/s: harmless for a counter declared `up`


def test_not_anomaly_feedback_reaches_the_model_inside_a_declaration() -> None:
    """A false alarm marked not_anomaly is remembered by the model, in the metric's local time."""
    from metricwatch.detection.feedback import Mark, fit_with_feedback

    ts, x = seasonal_series(days=8.0, spike_at=None, seed=4)
    x[int(6.5 * DAY / STEP)] += 25.0
    spike = ts[int(6.5 * DAY / STEP)]
    model = build_model("robust_seasonal", {}, Declared(timezone="Europe/Berlin"))
    fitted = fit_with_feedback(model, ts[:7 * 288], x[:7 * 288], [Mark("not_anomaly", spike - 60, spike + 60)])
    assert fitted is model and model.model._accepted is not None


def test_the_readmes_example_of_the_fields_is_a_valid_watch_list() -> None:
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```json\n(\[\{\"name\": \"checkout_latency_ms\", \"timezone\".*?)```", readme, re.S)
    assert example, "the README shows an entry with timezone, direction and kind"
    catalog = parse_catalog(json.loads(example.group(1)), "robust_seasonal")
    assert {m.kind for m in catalog.values()} == {"gauge", "counter"}
