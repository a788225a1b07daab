"""resources/alerting.json: Alertmanager's defaults and names, refused entries named, matchers as Alertmanager's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import ROOT
from metricwatch.alerting.matchers import parse_matcher
from metricwatch.alerting.rules import load_rules, parse_rules
from metricwatch.errors import ConfigError


def test_the_defaults_are_alertmanagers_and_prometheus_style_counts():
    root = parse_rules({}).root
    assert (root.group_wait, root.group_interval, root.repeat_interval) == (
        timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=4))
    assert root.receiver == "default" and root.group_by == ()
    assert root.for_points == 1 and root.resolve_after_points == 3


def test_the_committed_file_loads_and_groups_by_metric():
    rules = load_rules(ROOT / "resources" / "alerting.json")
    assert rules.root.group_by == ("alertname", "metric") and rules.root.group_wait <= timedelta(seconds=30)
    assert rules.root.repeat_interval >= timedelta(hours=1)


@pytest.mark.parametrize("raw, says", [
    ({"recievers": []}, "alerting file: unknown field(s) ['recievers']"),
    ({"receivers": [{"name": "a", "kind": "pager", "url": "${X}"}]}, "alerting receiver 0 ('a'): kind must be one of"),
    ({"receivers": [{"name": "a", "kind": "slack"}]}, "'url' is required"),
    ({"receivers": [{"name": "a", "kind": "slack", "url": "https://hooks.slack.com/T0/B0/x"}]},
     "must be an environment reference"),
    ({"receivers": [{"name": "a", "kind": "log", "colour": "red"}]}, "alerting receiver 0: unknown field(s) ['colour']"),
    ({"route": {"receiver": "nobody"}}, "alerting route: unknown receiver 'nobody'"),
    ({"route": {"group_wait": "soon"}}, "'soon' is not a duration"),
    ({"routes": [{"matchers": ["region=~("]}]}, "alerting routes entry 0: matcher region=~'(': bad regular expression"),
    ({"routes": [{"matchers": ["region"]}]}, "must be name, an operator"),
    ({"routes": [{"for_points": 0}]}, "'for_points' must be an integer from 1 to 1000"),
    ({"routes": [{"group_by": "region"}]}, "'group_by' must be a list"),
    ({"maintenance_windows": [{"name": "w", "cron": "every sunday", "duration": "1h"}]},
     "maintenance window 0 ('w'): cron 'every sunday'"),
    ({"maintenance_windows": [{"name": "w", "cron": "0 2 * * 0", "duration": "1h", "time_zone": "Mars/Olympus"}]},
     "maintenance window 0 ('w')"),
])
def test_a_wrong_entry_is_refused_naming_it(raw, says):
    with pytest.raises(ConfigError) as err:
        parse_rules(raw)
    assert says in err.value.message


@pytest.mark.parametrize("text, labels, matches", [
    ('region="eu"', {"region": "eu"}, True),
    ("region=eu", {"region": "eu-west"}, False),
    ("region!=eu", {"region": "us"}, True),
    ("region!=eu", {}, True),
    ('region=~"eu.*"', {"region": "eu-west"}, True),
    ("region=~eu", {"region": "eu-west"}, False),  # anchored, as in Alertmanager
    ("region!~eu.*", {"region": "us"}, True),
    ('region=""', {}, True),  # an absent label is the empty string
])
def test_matchers_have_alertmanagers_operators_and_anchoring(text, labels, matches):
    assert parse_matcher(text).matches(labels) is matches


def test_alertmanager_api_matcher_objects_are_accepted():
    m = parse_matcher({"name": "env", "value": "dev|test", "isRegex": True, "isEqual": False})
    assert str(m) == 'env!~"dev|test"' and m.matches({"env": "prod"}) and not m.matches({"env": "dev"})


def test_the_first_matching_route_takes_the_alert_unless_it_continues():
    rules = parse_rules({"receivers": [{"name": n, "kind": "log"} for n in ("a", "b", "c")],
                         "routes": [{"matchers": ["metric=latency"], "receiver": "a", "continue": True},
                                    {"matchers": ["metric=~lat.*"], "receiver": "b"},
                                    {"receiver": "c"}]})
    assert [r.receiver for r in rules.routes_for({"metric": "latency"})] == ["a", "b"]
    assert [r.receiver for r in rules.routes_for({"metric": "cpu"})] == ["c"]


def test_a_child_route_inherits_what_it_leaves_out_from_the_root():
    rules = parse_rules({"route": {"group_wait": "10s", "repeat_interval": "1h"},
                         "routes": [{"matchers": ["metric=cpu"], "repeat_interval": "2h", "for_points": 5}]})
    child = rules.routes[0]
    assert child.group_wait == timedelta(seconds=10) and child.repeat_interval == timedelta(hours=2)
    assert rules.routes_for({"metric": "cpu"})[0].for_points == 5
    assert rules.routes_for({"metric": "mem"})[0] is rules.root


def test_a_watched_metrics_absent_after_is_a_timedelta_object(tmp_path):
    from metricwatch.detection.catalog import parse_catalog

    assert parse_catalog([{"name": "a", "absent_after": {"minutes": 10}}], "robust_zscore")["a"].absent_after == \
        timedelta(minutes=10)
    with pytest.raises(ConfigError, match="'absent_after' must be a positive timedelta"):
        parse_catalog([{"name": "a", "absent_after": "10m"}], "robust_zscore")
