"""Series selectors as Prometheus writes them: `cpu`, `cpu{host="a", region=~"eu-.*"}`.

Read where Grafana hands us text (an annotation's query, `payload.labels` given
as a string, `label_values(...)` in a variable query) and written as the name of
every series we answer with, so a legend entry pasted back selects the series it
names. Values may be quoted (`"..."`, with `\\"` and `\\\\` escaped) or bare; a
bare value runs to the next comma, so a regex with a comma (`a{2,3}`) needs quotes.
Other backslashes are kept as written: `region=~"eu-\\d+"` is the regex `eu-\\d+`.
"""

from __future__ import annotations

import re

from metricwatch.alerting.matchers import OPERATORS
from metricwatch.errors import InvalidInput

KEY = re.compile(r'[^\s=!~,{}"]+')
UNESCAPE = {'"': '"', "\\": "\\", "n": "\n"}
Triple = tuple[str, str, str]  # (label, operator, value)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _quoted(text: str, i: int, field: str) -> tuple[str, int]:
    """The string opening at text[i] == '"' and the index just past its closing quote."""
    out, i = [], i + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(UNESCAPE.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    raise InvalidInput(f"'{field}': a quoted value in {text[:80]!r} has no closing quote", field=field)


def _key_and_op(text: str, i: int, field: str) -> tuple[str, str, int]:
    found = KEY.match(text, i)
    if not found:
        raise InvalidInput(f"'{field}': expected a label name at character {i + 1} of {text[:80]!r}", field=field)
    key, i = found.group(0), _skip(text, found.end())
    op = next((o for o in OPERATORS if text.startswith(o, i)), None)
    if op is None:
        raise InvalidInput(f"'{field}': label {key[:40]!r} must be followed by =, !=, =~ or !~ and a value",
                           field=field)
    return key, op, _skip(text, i + len(op))


def parse_one(text: str, field: str) -> Triple:
    """One matcher, `host=a`, `host="a"` or `region=~eu-.*`: a bare value is the rest of the text."""
    key, op, i = _key_and_op(text, _skip(text, 0), field)
    if i < len(text) and text[i] == '"':
        value, i = _quoted(text, i, field)
        if _skip(text, i) != len(text):
            raise InvalidInput(f"'{field}': {text[:80]!r} has text after its quoted value", field=field)
        return key, op, value
    return key, op, text[i:].strip()


def parse_list(text: str, field: str) -> list[Triple]:
    """Matchers separated by commas, `host="a", region=~"eu-.*"` (a trailing comma is fine)."""
    out: list[Triple] = []
    i = _skip(text, 0)
    while i < len(text):
        key, op, i = _key_and_op(text, i, field)
        if i < len(text) and text[i] == '"':
            value, i = _quoted(text, i, field)
        else:
            end = text.find(",", i)
            end = len(text) if end < 0 else end
            value, i = text[i:end].strip(), end
        out.append((key, op, value))
        i = _skip(text, i)
        if i < len(text):
            if text[i] != ",":
                raise InvalidInput(f"'{field}': expected ',' after the value of {key[:40]!r} in {text[:80]!r}",
                                   field=field)
            i = _skip(text, i + 1)
    return out


def parse_selector(text: str, field: str) -> tuple[str, list[Triple]]:
    """`cpu` or `cpu{host="a", region=~"eu-.*"}`: the metric name (not yet checked) and its matchers."""
    text = text.strip()
    brace = text.find("{")
    if brace < 0:
        return text, []
    if not text.endswith("}"):
        raise InvalidInput(f"'{field}': {text[:80]!r} opens '{{' and does not end with '}}'", field=field)
    return text[:brace].strip(), parse_list(text[brace + 1:-1], field)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_name(metric: str, labels: dict[str, str], suffix: str = "") -> str:
    """`cpu{host="a", region="eu"}`, or `cpu` without labels; `suffix` follows after a space."""
    inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    name = f"{metric}{{{inner}}}" if inner else metric
    return f"{name} {suffix}" if suffix else name
