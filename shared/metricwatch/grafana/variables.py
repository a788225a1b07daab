"""What `/search` and `/variable` answer: a small query language over metric names and labels.

- empty, `*` or `metrics()`: every metric name;
- `label_names()` or `label_names(<selector>)`: the label names, of every series or of those selected;
- `label_values(<label>)` or `label_values(<selector>, <label>)`: that label's values;
- any other text: the metric names containing it, ignoring case (the query editor's typeahead).

A selector is `cpu` or `cpu{dc="x"}` (see `selectors.py`); a metric we do not
have selects nothing. Answers are sorted and distinct.
"""

from __future__ import annotations

import re

from metricwatch.alerting.matchers import all_match
from metricwatch.errors import InvalidInput
from metricwatch.grafana.bodies import selector
from metricwatch.grafana.selectors import KEY

CALL = re.compile(r"(label_names|label_values|metrics)\s*\((.*)\)", re.S)
Metrics = dict[str, list[dict[str, str]]]


def _label_sets(metrics: Metrics, text: str, field: str) -> list[dict[str, str]]:
    if not text.strip():
        return [labels for sets in metrics.values() for labels in sets]
    name, matchers = selector(text, field)
    return [labels for labels in metrics.get(name, []) if all_match(matchers, labels)]


def _split_last_argument(args: str, field: str) -> tuple[str, str]:
    """`cpu{dc="x"}, host` -> (`cpu{dc="x"}`, `host`); `host` -> ("", `host`)."""
    close = args.rfind("}")
    comma = args.find(",", close + 1) if close >= 0 else args.rfind(",")
    first, label = (args[:comma], args[comma + 1:]) if comma >= 0 else ("", args)
    if not KEY.fullmatch(label.strip()):
        raise InvalidInput(f"'{field}': label_values needs a label name last: label_values(cpu, host)", field=field)
    return first, label.strip()


def find(metrics: Metrics, text: str, field: str) -> list[str]:
    call = CALL.fullmatch(text.strip())
    if text.strip() in ("", "*") or (call and call.group(1) == "metrics" and not call.group(2).strip()):
        return sorted(metrics)
    if call is None:
        return sorted(n for n in metrics if text.strip().lower() in n.lower())
    function, args = call.groups()
    if function == "label_names":
        return sorted({k for labels in _label_sets(metrics, args, field) for k in labels})
    if function == "label_values":
        first, label = _split_last_argument(args, field)
        return sorted({labels[label] for labels in _label_sets(metrics, first, field) if label in labels})
    raise InvalidInput(f"'{field}': metrics() takes no arguments", field=field)
