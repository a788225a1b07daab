"""Pin every function's whole dependency tree at the versions the test suite ran with.

    PYTHONPATH=shared .venv/bin/python -m metricwatch.ops.lock functions   # what `make lock` runs

A function's `requirements.txt` starts with the packages its code imports,
pinned; below `MARKER` come the packages those pull in, pinned too. Without
them, Cloud Build would resolve Flask, protobuf or google-api-core to
whatever is newest on deploy day, not what was tested. The tree is read from
the installed metadata of the tested virtualenv (markers evaluated for this
interpreter and platform: Cloud Functions' python311 on Linux, as `.venv`),
and `tests/test_requirements.py` checks every file is in step with it.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

MARKER = "# Pulled in by the above, pinned to the tested versions (make lock):"
PIN = re.compile(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def direct(text: str) -> list[str]:
    """The pinned lines above the marker: what the function's code itself needs."""
    head = text.split(MARKER, 1)[0]
    lines = [line.strip() for line in head.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    bad = [line for line in lines if not PIN.fullmatch(line)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not pinned as name==version (no inline comments)")
    return lines


def closure(lines: list[str]) -> dict[str, str]:
    """Every package (canonical name -> installed version) the given requirements pull in."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(line) for line in lines]
    while todo:
        req = todo.pop()
        key = (canonical(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(req.name)
        found[key[0]] = dist.version
        environments = [{**default_environment(), "extra": extra} for extra in (req.extras or {""})]
        for raw in dist.requires or []:
            sub = Requirement(raw)
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append(sub)
    return found


def locked(text: str) -> str:
    """The file's text with its transitive section rewritten from the tested environment."""
    lines = direct(text)
    mine = {canonical(PIN.fullmatch(line).group(1)) for line in lines}
    pulled = {n: v for n, v in closure(lines).items() if n not in mine}
    names = {canonical(d.metadata["Name"]): d.metadata["Name"] for d in metadata.distributions()}
    body = "\n".join(f"{names.get(n, n)}=={v}" for n, v in sorted(pulled.items()))
    head = text.split(MARKER, 1)[0].rstrip("\n")
    return f"{head}\n{MARKER}\n{body}\n"


def main(argv: list[str]) -> int:
    functions = Path(argv[0] if argv else "functions")
    for path in sorted(functions.glob("*/requirements.txt")):
        text = path.read_text()
        new = locked(text)
        if new != text:
            path.write_text(new)
            print(f"locked {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
