"""Query parameters that are not plain ASCII numbers or sane times are a 400, never a 500."""

from __future__ import annotations

import pytest

from metricwatch.api.params import parse_limit, parse_time
from metricwatch.errors import InvalidInput


@pytest.mark.parametrize("raw", ["²", "٣", "0", "-1", "1e3", "1001", " 5"])
def test_a_limit_must_be_ascii_digits_within_the_page_size(raw):
    with pytest.raises(InvalidInput) as err:
        parse_limit(raw, 1000)
    assert err.value.details["field"] == "limit"


def test_a_limit_of_more_digits_than_python_reads_is_a_400_not_a_500():
    with pytest.raises(InvalidInput) as err:
        parse_limit("9" * 5000, 1000)
    assert err.value.details["field"] == "limit"


def test_a_good_limit_is_its_number():
    assert parse_limit("250", 1000) == 250 and parse_limit(None, 1000) == 1000


@pytest.mark.parametrize("raw, says", [("0001-01-01T00:00:00+01:00", "out of range"),
                                       ("nonsense", "not ISO 8601"), ("1e400", "not ISO 8601"),
                                       ("2026-12-06T12:00:00\x00", "no ISO 8601 time has")])
def test_a_bad_time_names_its_parameter(raw, says):
    with pytest.raises(InvalidInput) as err:
        parse_time(raw, "start")
    assert err.value.details["field"] == "start" and says in err.value.message


def test_times_are_iso_or_epoch_seconds_in_utc():
    assert parse_time("2026-11-28T10:00:00+01:00", "start").isoformat() == "2026-11-28T09:00:00+00:00"
    assert parse_time("1764320400", "end").isoformat() == "2025-11-28T09:00:00+00:00"
