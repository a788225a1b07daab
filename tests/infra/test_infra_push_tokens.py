"""What is deployed as PUSH_TOKENS is the scoped form: the deploy guide's own commands write it,
and the secret says what its versions must hold."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

from metricwatch.config import load_settings
from tfmodel import ROOT, load

GUIDE = (ROOT / "docs" / "deploy.md").read_text()


def _guide_token_commands() -> str:
    """The deploy guide's shell lines from the tokens' comment to the gcloud that stores them."""
    lines = GUIDE.split("## Deploy\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    start = next(i for i, line in enumerate(lines) if "Tokens and scopes" in line)
    end = next(i for i, line in enumerate(lines) if "metricwatch-push-tokens" in line)
    return "\n".join(lines[start:end + 1])


def test_the_deploy_guide_stores_scoped_tokens_one_per_client(tmp_path: Path):
    """Run the guide's commands with a stand-in gcloud that keeps what it is given on stdin."""
    fake = tmp_path / "bin" / "gcloud"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$*" > "$OUT.args"\ncat > "$OUT"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "OUT": str(tmp_path / "secret")}
    subprocess.run(["bash", "-euo", "pipefail", "-c", _guide_token_commands()], cwd=tmp_path, env=env,
                   check=True, timeout=30)

    value = (tmp_path / "secret").read_text()
    assert (tmp_path / "secret.args").read_text().split() == ["secrets", "versions", "add",
                                                              "metricwatch-push-tokens", "--data-file=-"]
    tokens = {who: (tmp_path / f"token-{who}.txt").read_text() for who in ("sender", "grafana", "person")}
    assert all(re.fullmatch(r"[0-9a-f]{64}", t) for t in tokens.values()) and len(set(tokens.values())) == 3
    assert value == f"write:{tokens['sender']},read:{tokens['grafana']},admin+read:{tokens['person']}"
    parsed = load_settings({"PUSH_TOKENS": value, "REQUIRE_PUSH_TOKENS": "true"}, dotenv=None).push_tokens
    assert not parsed.legacy and [g.scopes for g in parsed.grants] == [{"write"}, {"read"}, {"admin", "read"}]
    assert "Bearer $(cat token-sender.txt)" in GUIDE, "the guide's push uses the sender's token"


def test_the_push_tokens_secret_states_the_scoped_form_and_its_example_parses():
    secret = load().of_type("google_secret_manager_secret")["push_tokens"]
    assert secret["secret_id"] == "${var.name_prefix}-push-tokens", "mk/infra.mk's deploy-secrets targets it"
    [annotations] = secret["annotations"] if isinstance(secret["annotations"], list) else [secret["annotations"]]
    example = re.search(r"\(([^()]*)\)$", annotations["format"]).group(1)
    parsed = load_settings({"PUSH_TOKENS": example}, dotenv=None).push_tokens
    assert not parsed.legacy and {s for g in parsed.grants for s in g.scopes} == {"write", "read", "admin"}
    assert "google_secret_manager_secret_version" not in load().resources, "no token value in the state"
