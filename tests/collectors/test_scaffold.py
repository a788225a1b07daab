"""`make new-collector`: the deployable directory of a new collector, matching the existing ones."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import ROOT
from metricwatch.local.scaffold import scaffold, schedule_line
from metricwatch.ops.manifest import parse_manifest
from metricwatch.schedule import parse_schedule


@pytest.fixture
def functions_dir(tmp_path):
    shutil.copytree(ROOT / "functions" / "collect-random", tmp_path / "collect-random",
                    ignore=shutil.ignore_patterns("metricwatch", "resources", "__pycache__"))
    return tmp_path


def test_it_writes_a_thin_main_the_pinned_requirements_and_a_valid_manifest(functions_dir):
    target = scaffold("queue-depth", functions_dir)
    assert 'collect(request, "queue-depth")' in (target / "main.py").read_text()
    pins = (functions_dir / "collect-random" / "requirements.txt").read_text()
    assert (target / "requirements.txt").read_text() == pins
    parse_manifest("collect-queue-depth", json.loads((target / "function.json").read_text()))


def test_the_printed_schedule_line_is_a_valid_declaration_for_it():
    [job] = parse_schedule([json.loads(schedule_line("queue-depth").rstrip(","))], {"collect-queue-depth"})
    assert job.function == "collect-queue-depth"


@pytest.mark.parametrize("name", ["Queue", "collect_x", "random"])
def test_bad_or_taken_names_are_refused(functions_dir, name):
    with pytest.raises(ValueError):
        scaffold(name, functions_dir)
