"""infra/ is well-formed Terraform, readable without a terraform binary.

No terraform can be installed in CI, so python-hcl2 stands in for `terraform
validate` on syntax, and these tests hold the conventions a plan would not check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfmodel import INFRA, load, parse

TF_FILES = sorted(INFRA.glob("*.tf"))


def test_infra_has_terraform_files():
    assert {p.name for p in TF_FILES} >= {"versions.tf", "variables.tf", "functions.tf", "scheduler.tf", "outputs.tf"}


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: p.name)
def test_every_tf_file_parses_with_python_hcl2(path: Path):
    assert parse(path), f"{path.name} parsed to nothing"


def test_the_google_provider_is_pinned_to_major_6():
    versions = parse(INFRA / "versions.tf")["terraform"][0]["required_providers"][0]
    assert versions["google"]["version"] == '"~> 6.0"'


@pytest.mark.parametrize("name", sorted(load().variables))
def test_every_variable_has_a_description_a_type_and_validation_unless_boolean(name: str):
    variable = load().variables[name]
    assert variable.get("description"), f"variable {name} needs a description"
    assert variable.get("type"), f"variable {name} needs a type"
    if variable["type"] not in ("bool", "${bool}"):
        assert variable.get("validation"), f"variable {name} needs a validation block"
        for rule in variable["validation"]:
            assert rule["condition"] and rule["error_message"]


def test_only_the_project_must_be_given():
    required = [name for name, v in load().variables.items() if "default" not in v]
    assert required == ["project_id"]


def test_the_issue_outputs_exist_with_descriptions():
    outputs = load().outputs
    for name in ("push_url", "query_url", "dashboard_url", "grafana_url", "trainer_url"):
        assert outputs[name].get("description"), name
