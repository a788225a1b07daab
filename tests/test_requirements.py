"""Every function installs exactly what the suite was tested with, only what its code imports, by hash."""

from __future__ import annotations

import pytest

from conftest import ROOT
from metricwatch.ops.imports import distributions
from metricwatch.ops.lock import LOCAL_ONLY, MARKER, canonical, closure, direct, pins

PACKAGE = ROOT / "shared" / "metricwatch"
TESTED = {name: version for name, (version, _) in pins((ROOT / "requirements-dev.txt").read_text()).items()}
FUNCTION_REQUIREMENTS = sorted(ROOT.glob("functions/*/requirements.txt"))
HASHED = [*FUNCTION_REQUIREMENTS, ROOT / "requirements-dev.txt", ROOT / "requirements-checkov.txt"]
# The functions that read and show data: what they ship is what makes their cold start short.
READERS = ["query", "dashboard", "grafana"]


def ids(path) -> str:
    return str(path.relative_to(ROOT))


def versions(path) -> dict[str, str]:
    return {name: version for name, (version, _) in pins(path.read_text()).items()}


def test_the_dev_set_is_fully_pinned():
    assert {"pytest", "mongomock", "pymongo", "scikit-learn", "functions-framework"} <= set(TESTED)


@pytest.mark.parametrize("path", [ROOT / "requirements.txt", *FUNCTION_REQUIREMENTS], ids=ids)
def test_runtime_pins_match_the_tested_versions(path):
    for name, version in versions(path).items():
        assert TESTED.get(name) == version, f"{ids(path)}: {name}=={version}, tested {TESTED.get(name)}"


def test_every_function_has_its_own_requirements():
    mains = sorted(p.parent.name for p in ROOT.glob("functions/*/main.py"))
    assert mains and mains == sorted(p.parent.name for p in FUNCTION_REQUIREMENTS)


@pytest.mark.parametrize("path", FUNCTION_REQUIREMENTS, ids=ids)
def test_a_function_requires_what_its_code_imports_and_nothing_else(path):
    imported = distributions(path.parent / "main.py", PACKAGE)
    wanted = {canonical(name) for name in imported} - LOCAL_ONLY
    listed = {canonical(line.split("==")[0]) for line in direct(path.read_text())}
    missing = {name: str(imported.get(name, "?")) for name in wanted - listed}
    assert not missing, f"{ids(path)}: imported but not required (run `make lock`): {missing}"
    assert not listed - wanted, f"{ids(path)}: required but never imported (run `make lock`): {listed - wanted}"


@pytest.mark.parametrize("path", FUNCTION_REQUIREMENTS, ids=ids)
def test_each_function_pins_its_whole_dependency_tree(path):
    """What Cloud Build installs is this list and nothing it would have to resolve on deploy day."""
    text = path.read_text()
    assert MARKER in text, f"{ids(path)}: run `make lock`"
    assert set(versions(path)) == {canonical(n) for n in closure(direct(text))}, f"{ids(path)}: run `make lock`"


@pytest.mark.parametrize("path", HASHED, ids=ids)
def test_every_pin_carries_the_hashes_of_its_files(path):
    """pip then runs in hash-checking mode: a file that is not the tested one fails the install."""
    unhashed = [name for name, (_, hashes) in pins(path.read_text()).items() if not hashes]
    assert not unhashed, f"{ids(path)}: pins without --hash (run `make lock`): {unhashed}"


def test_installs_require_the_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("--require-hashes -r requirements-") == 2


@pytest.mark.parametrize("function", READERS)
def test_the_reading_functions_ship_no_numerics(function):
    shipped = set(versions(ROOT / "functions" / function / "requirements.txt"))
    assert not shipped & {"scikit-learn", "scipy", "numpy", "joblib"}, shipped


def test_the_live_graph_follows_a_lazy_import_only_where_its_function_can_run(tmp_path):
    """The runtime imports the detector inside its `detector` property: only code that reads
    `.detector` ships what the detector imports."""
    package = tmp_path / "metricwatch"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "heavy.py").write_text("import numpy\n")
    (package / "runtime.py").write_text(
        "import json\n"
        "class Runtime:\n"
        "    @property\n"
        "    def detector(self):\n"
        "        from metricwatch import heavy\n"
        "        return heavy\n"
        "    def store(self):\n"
        "        import pymongo\n")
    (tmp_path / "reader.py").write_text("from metricwatch.runtime import Runtime\ndef handle(r):\n    Runtime().store()\n")
    (tmp_path / "scorer.py").write_text("from metricwatch.runtime import Runtime\ndef handle(r):\n    Runtime().detector\n")
    assert set(distributions(tmp_path / "reader.py", package)) == {"pymongo"}
    assert set(distributions(tmp_path / "scorer.py", package)) == {"numpy"}
