"""Model object names: `{metric_name}_{model_name}_{metric_labels}.joblib`, deterministic and injective."""

from __future__ import annotations

from hypothesis import given, strategies as st

from metricwatch.series import model_object_name


def test_no_labels_means_no_label_part():
    assert model_object_name("random", "sklearn_iforest", {}) == "random_sklearn_iforest.joblib"


def test_labels_are_sorted_by_key():
    a = model_object_name("cpu", "m", {"region": "eu", "host": "a"})
    b = model_object_name("cpu", "m", {"host": "a", "region": "eu"})
    assert a == b == "cpu_m_host=a,region=eu.joblib"


def test_unsafe_characters_are_percent_encoded():
    assert model_object_name("cpu", "m", {"path": "/a b,c=d%"}) == "cpu_m_path=%2Fa%20b%2Cc%3Dd%25.joblib"


def test_separators_inside_values_cannot_fake_another_label_set():
    assert model_object_name("x", "m", {"a": "1,b=2"}) != model_object_name("x", "m", {"a": "1", "b": "2"})


labels = st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4)


@given(labels, labels)
def test_different_label_sets_never_share_a_name(a, b):
    if a != b:
        assert model_object_name("m", "x", a) != model_object_name("m", "x", b)


@given(labels)
def test_names_hold_no_slash_and_keep_the_template(a):
    name = model_object_name("metric", "model", a)
    assert "/" not in name and name.startswith("metric_model") and name.endswith(".joblib")


def test_very_long_label_sets_are_hashed_to_fit_bucket_and_file_names():
    long_a = {f"k{i}": "v" * 100 for i in range(10)}
    long_b = {**long_a, "k0": "w" * 100}
    a, b = model_object_name("cpu", "m", long_a), model_object_name("cpu", "m", long_b)
    assert a != b and len(a.encode()) < 255 and a.startswith("cpu_m_~")
