"""Label matchers with Alertmanager's operators and spelling: `name="v"`, `!=`, `=~`, `!~`.

Regular expressions are anchored at both ends, as in Alertmanager, so
`region=~"eu"` matches `eu` and not `eu-west`. A label that is absent
matches as the empty string, again as Alertmanager does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

OPERATORS = ("=~", "!~", "!=", "=")  # longest first, so `!=` is not read as `!` then `=`
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        given = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (given == self.value) == (self.op == "=")
        assert self.pattern is not None
        return bool(self.pattern.fullmatch(given)) == (self.op == "=~")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'

    def to_dict(self) -> dict[str, Any]:
        """Alertmanager's API form of a matcher."""
        return {"name": self.name, "value": self.value, "isRegex": "~" in self.op, "isEqual": "!" not in self.op}


def matcher(name: str, op: str, value: str) -> Matcher:
    """Build one, checking the name and compiling a regex; ValueError says what is wrong."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"matcher label name {name!r} must be letters, digits and '_'")
    if not isinstance(value, str):
        raise ValueError(f"matcher {name}{op}: the value must be a string")
    pattern = None
    if "~" in op:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"matcher {name}{op}{value!r}: bad regular expression: {exc}") from None
    return Matcher(name, op, value, pattern)


def parse_matcher(raw: Any) -> Matcher:
    """`region="eu"`, `region=eu`, or Alertmanager's API object `{name, value, isRegex, isEqual}`."""
    if isinstance(raw, dict):
        if set(raw) - {"name", "value", "isRegex", "isEqual"} or not {"name", "value"} <= set(raw):
            raise ValueError("a matcher object has name, value and optionally isRegex, isEqual")
        regex, equal = raw.get("isRegex", False), raw.get("isEqual", True)
        if not isinstance(regex, bool) or not isinstance(equal, bool):
            raise ValueError("a matcher's isRegex and isEqual must be true or false")
        op = ("=" if equal else "!") + ("~" if regex else "")
        return matcher(raw["name"], {"=": "=", "!": "!=", "=~": "=~", "!~": "!~"}[op], raw["value"])
    if not isinstance(raw, str):
        raise ValueError(f"a matcher must be a string such as region=\"eu\", not {type(raw).__name__}")
    found = NAME.match(raw.strip())
    rest = raw.strip()[found.end():] if found else ""
    op = next((o for o in OPERATORS if rest.startswith(o)), None)
    if not found or op is None:
        raise ValueError(f"matcher {raw!r} must be name, an operator (=, !=, =~, !~) and a value")
    value = rest[len(op):].strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return matcher(found.group(0), op, value)


def parse_matchers(raw: Any) -> tuple[Matcher, ...]:
    if not isinstance(raw, list):
        raise ValueError("matchers must be a list, e.g. [\"metric=latency\", \"region=~eu.*\"]")
    return tuple(parse_matcher(m) for m in raw)


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
