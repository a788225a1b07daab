"""sklearn_iforest: the original app's model, scored by a flattened forest that must equal sklearn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from metricwatch.detection.models.calendar import calendar_features
from metricwatch.detection.models.flat_forest import FlatForest
from metricwatch.detection.models.iforest import IsolationForestModel


@pytest.mark.parametrize("params", [{}, {"max_features": 0.5}, {"contamination": 0.05}, {"max_samples": 64}])
def test_the_flat_forest_scores_exactly_as_sklearn(params):
    rng = np.random.default_rng(3)
    forest = IsolationForest(random_state=7, n_estimators=40, **params).fit(rng.normal(size=(3000, 6)))
    flat = FlatForest(forest)
    probe = rng.normal(size=(500, 6)) * 3
    np.testing.assert_allclose(flat.score_samples(probe), forest.score_samples(probe), rtol=0, atol=1e-12)
    assert (flat.predict(probe) == forest.predict(probe)).all()


def test_calendar_features_match_the_datetime_module():
    """Exact for every day away from the year's edges (there the week is clipped to 1..53, not rolled)."""
    from datetime import datetime, timezone

    seconds = np.arange(1_700_000_000.0, 1_800_000_000.0, 86_400 * 3 + 3_601)
    got = calendar_features(seconds)
    for i, s in enumerate(seconds):
        dt = datetime.fromtimestamp(s, timezone.utc)
        iso = dt.isocalendar()
        assert (got["hour"][i], got["day_of_week"][i], got["day_of_month"][i], got["day_of_year"][i]) == (
            dt.hour, dt.weekday(), dt.day, dt.timetuple().tm_yday)
        if 7 < dt.timetuple().tm_yday < 358:
            assert got["week_of_year"][i] == iso.week


def test_scores_are_in_range_and_verdicts_are_plus_or_minus_one():
    ts = 1.7e9 + 300.0 * np.arange(2000)
    values = np.random.default_rng(0).normal(100, 5, 2000)
    model = IsolationForestModel(n_estimators=30).fit(ts, values)
    scores = model.score(ts, values)
    assert ((0 <= scores.score) & (scores.score <= 1)).all()
    assert set(np.unique(scores.anomaly)) <= {-1, 1}


def test_bad_train_params_are_refused_when_the_model_is_built():
    with pytest.raises(Exception) as err:
        IsolationForestModel(n_estimators=-1)
    assert "n_estimators" in str(err.value)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 256, 4096])
def test_our_average_path_length_is_scikit_learns(n):
    """We stopped importing scikit-learn's private helper; this pins ours to it while it exists."""
    from sklearn.ensemble._iforest import _average_path_length

    from metricwatch.detection.models.flat_forest import average_path_length

    assert average_path_length(n) == pytest.approx(float(_average_path_length([n])[0]), rel=1e-15, abs=0)
