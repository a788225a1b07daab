"""Every function installs exactly what the suite was tested with, down to its dependencies' dependencies."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from metricwatch.ops.lock import MARKER, canonical

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)$")


def pins(path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{path.relative_to(ROOT)}: {line!r} is not pinned as name==version"
        out[canonical(match.group(1))] = match.group(2)
    return out


TESTED = pins(ROOT / "requirements-dev.txt")
FUNCTION_REQUIREMENTS = sorted(ROOT.glob("functions/*/requirements.txt"))


def test_the_dev_set_is_fully_pinned():
    assert {"pytest", "mongomock", "pymongo", "scikit-learn", "functions-framework"} <= set(TESTED)


@pytest.mark.parametrize("path", [ROOT / "requirements.txt", *FUNCTION_REQUIREMENTS],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_pins_match_the_tested_versions(path):
    for name, version in pins(path).items():
        assert TESTED.get(name) == version, f"{path.relative_to(ROOT)}: {name}=={version}, tested {TESTED.get(name)}"


def test_every_function_has_its_own_requirements():
    mains = sorted(p.parent.name for p in ROOT.glob("functions/*/main.py"))
    assert mains and mains == sorted(p.parent.name for p in FUNCTION_REQUIREMENTS)


@pytest.mark.parametrize("path", FUNCTION_REQUIREMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_function_pins_its_whole_dependency_tree(path):
    """What Cloud Build installs is this list and nothing it would have to resolve on deploy day (`make lock`)."""
    from metricwatch.ops.lock import closure, direct

    text = path.read_text()
    assert MARKER in text, f"{path.relative_to(ROOT)}: run `make lock`"
    assert set(pins(path)) == {canonical(n) for n in closure(direct(text))}, f"{path.relative_to(ROOT)}: run `make lock`"
