"""Label matchers from Grafana (`payload.labels`, `adhocFilters`), and the series they pick.

Matching is Alertmanager's (`metricwatch.alerting.matchers`): `=`, `!=`, `=~`,
`!~`, regexes anchored at both ends, an absent label matching as "". Label
names are ours, though, which are wider than Alertmanager's (push accepts
`k8s-pod`), so a matcher is built here rather than by `matchers.matcher`.

The store filters only by "labels include these", so a read is planned in two
steps (`plan`): the matchers are applied in Python to the metric's label sets
(`store.metrics()`: label sets, not points), then one downsampled read is made
with the labels every matching set shares, and the series it returns are kept
only if they match. One round trip whatever the matchers; a series whose labels
are a superset of another's is kept or dropped on its own labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from metricwatch.alerting.matchers import Matcher, all_match, parse_matcher
from metricwatch.errors import InvalidInput
from metricwatch.grafana.selectors import OPERATORS, Triple, parse_list, parse_one

MAX_MATCHERS = 64
MAX_PATTERN = 1024  # characters of one regex
# Grafana's multi-value operators (one of `values`), read as a regex of the escaped values.
ONE_OF = {"=|": "=~", "!=|": "!~"}
REFUSED = {"<", ">", "<=", ">="}  # Grafana offers them for numbers; labels are text


def build(key: Any, op: str, value: Any, field: str) -> Matcher:
    """One matcher; an `InvalidInput` naming `field` says what is wrong."""
    if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.startswith("$") or "." in key or "\x00" in key:
        raise InvalidInput(f"'{field}': label name {str(key)[:40]!r} must be 1 to 128 characters, "
                           "not start with '$' and contain no '.'", field=field)
    if op not in OPERATORS:
        raise InvalidInput(f"'{field}': operator {op!r} is not one of =, !=, =~, !~", field=field)
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}': the value of {key[:40]!r} must be a string", field=field)
    pattern = None
    if "~" in op:
        if len(value) > MAX_PATTERN:
            raise InvalidInput(f"'{field}': the regex for {key[:40]!r} has over {MAX_PATTERN} characters", field=field)
        try:
            pattern = re.compile(value)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            raise InvalidInput(f"'{field}': bad regular expression for {key[:40]!r}: {exc}", field=field) from None
    return Matcher(key, op, value, pattern)


def _from_triples(triples: Iterable[Triple], field: str) -> list[Matcher]:
    return [build(k, op, v, field) for k, op, v in triples]


def label_matchers(raw: Any, field: str) -> tuple[Matcher, ...]:
    """`payload.labels`: `{"host": "a"}` (equality), `["host=a", "region=~eu-.*"]` (matcher strings, or
    Alertmanager's `{name, value, isRegex, isEqual}` objects), or text `host="a", region=~"eu-.*"`."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return ()
    if isinstance(raw, dict):
        out = [build(k, "=", v, field) for k, v in raw.items()]
    elif isinstance(raw, str):
        out = _from_triples(parse_list(raw.strip().removeprefix("{").removesuffix("}"), field), field)
    elif isinstance(raw, list):
        out = []
        for i, item in enumerate(raw):
            where = f"{field}[{i}]"
            if isinstance(item, str):
                out.append(build(*parse_one(item, where), where))
            elif isinstance(item, dict):
                try:
                    parsed = parse_matcher(item)
                except ValueError as exc:
                    raise InvalidInput(f"'{where}': {exc}", field=where) from None
                out.append(build(parsed.name, parsed.op, parsed.value, where))
            else:
                raise InvalidInput(f"'{where}' must be a matcher such as \"host=a\"", field=where)
    else:
        raise InvalidInput(f"'{field}' must be an object of label values, a list of matchers such as "
                           "[\"host=a\", \"region=~eu-.*\"], or matcher text", field=field)
    if len(out) > MAX_MATCHERS:
        raise InvalidInput(f"'{field}' has {len(out)} matchers; at most {MAX_MATCHERS}", field=field)
    return tuple(out)


def adhoc_filters(raw: Any, field: str = "adhocFilters") -> tuple[Matcher, ...]:
    """Grafana's ad hoc filters `[{"key", "operator", "value"}]`, all of which must hold (AND)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_MATCHERS:
        raise InvalidInput(f"'{field}' must be a list of at most {MAX_MATCHERS} filters "
                           "{\"key\", \"operator\", \"value\"}", field=field)
    out = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, dict) or "key" not in item:
            raise InvalidInput(f"'{where}' must be an object with key, operator and value", field=where)
        if item.get("condition") not in (None, "", "AND"):
            raise InvalidInput(f"'{where}.condition': only AND is supported", field=f"{where}.condition")
        op = item.get("operator", "=")
        if not isinstance(op, str):
            raise InvalidInput(f"'{where}.operator' must be one of =, !=, =~, !~", field=f"{where}.operator")
        if op in REFUSED:
            raise InvalidInput(f"'{where}.operator': {op!r} compares numbers and labels are text; "
                               "use =, !=, =~ or !~", field=f"{where}.operator")
        if op in ONE_OF:
            values = item.get("values")
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise InvalidInput(f"'{where}.values': operator {op} needs a list of strings", field=f"{where}.values")
            out.append(build(item["key"], ONE_OF[op], "|".join(re.escape(v) for v in values), where))
            continue
        if op not in OPERATORS:
            raise InvalidInput(f"'{where}.operator' must be one of =, !=, =~, !~", field=f"{where}.operator")
        out.append(build(item["key"], op, item.get("value", ""), where))
    return tuple(out)


def equalities(matchers: Iterable[Matcher]) -> dict[str, str]:
    """The labels a matching series must carry: its `=` matchers with a value (`host=""` means absent)."""
    return {m.name: m.value for m in matchers if m.op == "=" and m.value}


@dataclass(frozen=True)
class Plan:
    """One read: the store's filter (`labels`, "include these") and the matchers its series must pass."""

    labels: dict[str, str]
    matchers: tuple[Matcher, ...]

    def keeps(self, labels: Mapping[str, str]) -> bool:
        return all_match(self.matchers, labels)


def plan(label_sets: list[dict[str, str]], matchers: tuple[Matcher, ...]) -> Plan | None:
    """The read for the series of one metric that `matchers` pick; None when none does (no read at all).

    The filter is what every picked label set has in common: at least the
    equality matchers, and all of a series' labels when only one is picked.
    """
    picked = [s for s in label_sets if all_match(matchers, s)]
    if not picked:
        return None
    common = dict(picked[0])
    for labels in picked[1:]:
        common = {k: v for k, v in common.items() if labels.get(k) == v}
    return Plan(labels=common, matchers=matchers)
