"""The `prometheus` kind: scrape a text-exposition `/metrics` endpoint and keep selected series.

`params.series` lists the sample names to keep (e.g. `http_requests_total`,
or `http_request_duration_seconds_sum`); each matching sample becomes a point
with its own labels plus the entry's. `params.match` optionally keeps only
samples whose labels include these. NaN and infinite samples are skipped.

A scraped label wins over an entry label of the same key (Prometheus calls
this `honor_labels`): the scraped labels are what tell the target's series
apart, so letting the entry overwrite them would merge distinct series, and a
run must not start failing because an exporter added a label. The entry's
labels only fill in. The same series scraped twice is an error of the run
(see `runner.to_points`), never one value dropped.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

from metricwatch.collectors.base import Context, Sample
from metricwatch.errors import ConfigError, SourceUnavailable

PARAMS = {"url", "series", "match"}
LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def check(where: str, params: dict[str, Any]) -> None:
    series = params.get("series")
    if not isinstance(params.get("url"), str):
        raise ConfigError(f"{where}: prometheus needs param 'url' (a string)")
    if not isinstance(series, list) or not series or not all(isinstance(s, str) for s in series):
        raise ConfigError(f"{where}: prometheus 'series' must be a non-empty list of sample names")
    if not isinstance(params.get("match", {}), dict):
        raise ConfigError(f"{where}: prometheus 'match' must be an object of label values")


def _labels(text: str) -> dict[str, str]:
    unescape = (lambda v: re.sub(r'\\[\\"n]', lambda m: UNESCAPE[m.group(0)], v))
    return {m.group(1): unescape(m.group(2)) for m in LABEL.finditer(text or "")}


def parse(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """(name, labels, value) for every sample line; comments and malformed lines are skipped."""
    for line in text.split("\n"):  # the format separates lines by \n only; \r may sit in a label value
        match = LINE.match(line.strip())
        if not match or line.startswith("#"):
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        yield match.group(1), _labels(match.group(2)), value


def declared_names(text: str) -> set[str]:
    """Names a `# TYPE name kind` line declares: a labelled counter has one before its first sample."""
    return {line.split()[2] for line in text.split("\n") if line.startswith("# TYPE ") and len(line.split()) >= 3}


def collect(entry: Any, ctx: Context) -> list[Sample]:
    """The wanted samples. A page where none of the wanted names even appears is the source's error.

    A login page, a wrong path or an exporter that lost a metric would
    otherwise be a run that succeeds every time and stores nothing. A wanted
    name declared by `# TYPE` but without samples yet (a labelled counter
    before its first event) is an empty run, not an error.
    """
    text = ctx.http.get_text(entry.resolved_url(ctx.environ), headers=entry.resolved_headers(ctx.environ))
    wanted, match = set(entry.params["series"]), entry.params.get("match", {})
    scraped = list(parse(text))
    names = {name for name, _, _ in scraped} | declared_names(text)
    if not names:  # the body is not quoted: an error page may echo what was sent
        raise SourceUnavailable(f"{entry.name}: the page ({len(text)} characters) has no Prometheus samples or "
                                "# TYPE lines; is 'url' the /metrics endpoint?")
    if not names & _families(wanted):
        raise SourceUnavailable(f"{entry.name}: none of the series {sorted(wanted)} is on the page; "
                                f"it has {sorted(names)[:10]}{' ...' if len(names) > 10 else ''}")
    return [Sample(name, value, {**entry.labels, **labels}) for name, labels, value in scraped
            if name in wanted and math.isfinite(value) and all(labels.get(k) == v for k, v in match.items())]


def _families(wanted: set[str]) -> set[str]:
    """A wanted sample name and the family its `# TYPE` line would declare (`x_sum` -> `x`)."""
    suffixes = ("_total", "_sum", "_count", "_bucket", "_created", "_info")
    return wanted | {n[: -len(s)] for n in wanted for s in suffixes if n.endswith(s)}
