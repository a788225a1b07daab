"""`make package`: one zip per function that runs on its own.

A function is deployed as its directory alone (with the vendored shared package),
installed from its own requirements.txt. The slow test proves that for push and a
collector: unzip, install into a bare virtualenv, `import main` with no checkout
on sys.path. The zips are built by the code `make package` runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from metricwatch.errors import ConfigError
from metricwatch.ops.codescan import module_file, reachable_files
from metricwatch.ops.imports import live_imports
from metricwatch.layout import function_dirs
from metricwatch.ops.package import build_zip
from tfmodel import ROOT, load

FUNCTIONS_DIR = ROOT / "functions"
FUNCTIONS = [p.name for p in function_dirs(FUNCTIONS_DIR)]
COLLECTORS = [f for f in FUNCTIONS if f.startswith("collect-")]
# push, one collector once any exists (train until then), and query (the slim set): the kinds of requirements.
IMPORTED = ["push", (COLLECTORS or ["train"])[0], "query"]


def vendored(function: str) -> Path:
    path = FUNCTIONS_DIR / function
    if not (path / "metricwatch" / "__init__.py").is_file():
        pytest.fail(f"functions/{function} is not vendored: run `make vendor` (make test does)")
    return path


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_zip_holds_the_function_its_requirements_and_the_vendored_package(function: str, tmp_path: Path):
    names = zipfile.ZipFile(build_zip(vendored(function), tmp_path)).namelist()
    assert {"main.py", "requirements.txt", "metricwatch/__init__.py", "resources/schedules.json"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n == "function.json"]


def test_an_unchanged_function_gives_a_byte_identical_zip(tmp_path: Path):
    first = build_zip(vendored("push"), tmp_path / "a").read_bytes()
    assert build_zip(vendored("push"), tmp_path / "b").read_bytes() == first


def test_packaging_refuses_a_function_that_was_not_vendored(tmp_path: Path):
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "main.py").write_text("")
    with pytest.raises(ConfigError, match="make vendor"):
        build_zip(tmp_path / "bare", tmp_path / "out")


def test_terraform_zips_the_same_directories_with_the_same_exclusions():
    archive = load().data["archive_file"]["source"]
    assert archive["source_dir"] == "${local.functions_dir}/${each.key}"
    assert {"__pycache__", "function.json"} <= set(archive["excludes"])


def _live_modules(function: str) -> list[str]:
    """Every metricwatch module the live code of main.py can import (what its requirements cover)."""
    package = ROOT / "shared" / "metricwatch"
    names = live_imports(FUNCTIONS_DIR / function / "main.py", package)
    return sorted(n for n in names if n.startswith("metricwatch") and module_file(package, n) is not None)


def _modules(function: str) -> list[str]:
    """Every metricwatch module main.py can reach, lazy imports included, as dotted names."""
    package = ROOT / "shared" / "metricwatch"
    names = []
    for path in reachable_files(FUNCTIONS_DIR / function / "main.py", package)[1:]:
        parts = ("metricwatch",) + path.relative_to(package).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.slow
@pytest.mark.parametrize("function", IMPORTED)
def test_the_zip_imports_in_a_fresh_virtualenv_with_only_its_requirements(function: str, tmp_path: Path):
    source = tmp_path / "src"
    zipfile.ZipFile(build_zip(vendored(function), tmp_path)).extractall(source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    pip = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                          "--require-hashes", "-r", "requirements.txt"], cwd=source, env=env, capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    check = (
        "import importlib, sys\n"
        f"assert not [p for p in sys.path if p.startswith({str(ROOT)!r})], sys.path\n"
        "import main\n"
        "assert callable(main.handle)\n"
        "import metricwatch\n"
        f"assert metricwatch.__file__.startswith({str(source)!r}), metricwatch.__file__\n"
        f"for name in {_live_modules(function)!r}:\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run([python, "-c", check], cwd=source, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_reaches_the_deployment_tooling(function: str):
    """ops/ is vendored with the package but needs google-cloud-scheduler, which functions do not install."""
    assert not [m for m in _modules(function) if m.startswith("metricwatch.ops")]
    assert "google-cloud-scheduler" not in (FUNCTIONS_DIR / function / "requirements.txt").read_text()
