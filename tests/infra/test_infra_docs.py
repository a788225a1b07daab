"""docs/deploy.md keeps up with infra/ and mk/infra.mk: every variable and target is in it."""

from __future__ import annotations

import re

import pytest

from tfmodel import ROOT, load

GUIDE = (ROOT / "docs" / "deploy.md").read_text()
TARGETS = re.findall(r"^([a-z][a-z-]*):.*##", (ROOT / "mk" / "infra.mk").read_text(), flags=re.M)


@pytest.mark.parametrize("name", sorted(load().variables))
def test_every_terraform_variable_is_named_in_the_deploy_guide(name: str):
    assert f"`{name}" in GUIDE or f"{name} =" in GUIDE, f"docs/deploy.md does not mention variable {name}"


@pytest.mark.parametrize("target", TARGETS)
def test_every_deployment_target_is_in_the_deploy_guide(target: str):
    assert f"make {target}" in GUIDE


def test_the_guide_says_what_was_not_verified_against_gcp():
    assert "## Not verified against GCP" in GUIDE
    assert "5.0 or newer" in GUIDE, "Atlas time-series collections need MongoDB 5.0+"
