"""function.json: a function's needs from the deployment, validated before Terraform sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metricwatch.errors import ConfigError
from metricwatch.ops.codescan import cloud_required, reachable_files, settings_read
from metricwatch.ops.manifest import load_manifest, parse_manifest

GOOD = {"description": "takes points", "public": True, "model_bucket": "read",
        "env": ["MONGO_URL", "PUSH_TOKENS", "REQUIRE_PUSH_TOKENS"], "secrets": [], "memory": "512Mi",
        "timeout_seconds": 60, "max_instances": 3}
TRAINER = {**GOOD, "public": False, "model_bucket": "write", "env": ["MONGO_URL"]}


def test_a_valid_manifest_parses_to_typed_fields():
    manifest = parse_manifest("push", GOOD)
    assert manifest.env == ("MONGO_URL", "PUSH_TOKENS", "REQUIRE_PUSH_TOKENS") and manifest.public is True
    assert manifest.model_bucket == "read" and manifest.secrets == ()
    assert (manifest.memory, manifest.timeout_seconds, manifest.max_instances) == ("512Mi", 60, 3)


@pytest.mark.parametrize("change, message", [
    ({"env": ["NOT_A_SETTING"]}, "unknown settings ['NOT_A_SETTING']"),
    ({"env": ["MONGO_URL", "MONGO_URL"]}, "distinct"),
    ({"public": "yes"}, "public must be true or false"),
    ({"memory": "1GB"}, "memory must look like"),
    ({"timeout_seconds": 0}, "timeout_seconds must be an integer from 1 to 3600"),
    ({"max_instances": True}, "max_instances must be an integer"),
    ({"description": " "}, "description must be a non-empty string"),
    ({"extra": 1}, "exactly"),
    ({"model_bucket": "admin"}, 'model_bucket must be "read" or "write"'),
    ({"model_bucket": "write"}, "a public function may only read the model bucket"),
    ({"env": ["MONGO_URL", "PUSH_TOKENS"]}, "must list ['REQUIRE_PUSH_TOKENS'] in env"),
    ({"env": ["MONGO_URL", "REQUIRE_PUSH_TOKENS"]}, "must list ['PUSH_TOKENS'] in env"),
    ({"env": ["MONGO_URL", "PUSH_TOKENS", "REQUIRE_PUSH_TOKENS", "PORT"]}, "a deployment never sets"),
    ({"public": False}, "REQUIRE_PUSH_TOKENS is for public functions only"),
    ({"secrets": ["QUEUE_TOKEN", "QUEUE_TOKEN"]}, "secrets must be a list of distinct names"),
    ({"secrets": ["queue-token"]}, "must be UPPER_CASE environment variable names"),
    ({"secrets": ["K_SERVICE"]}, "must be UPPER_CASE environment variable names"),
    ({"secrets": ["MONGO_URL"]}, "are settings: list them in env instead"),
])
def test_a_bad_manifest_is_refused_naming_the_file_and_field(change, message):
    with pytest.raises(ConfigError) as raised:
        parse_manifest("push", {**GOOD, **change})
    assert "functions/push/function.json" in str(raised.value) and message in str(raised.value)


def test_a_trainer_writes_the_model_bucket_and_may_read_its_own_secrets():
    manifest = parse_manifest("train", {**TRAINER, "secrets": ["SHOP_MONGO_URL"]})
    assert manifest.model_bucket == "write" and manifest.secrets == ("SHOP_MONGO_URL",)


def test_a_missing_manifest_is_an_error_naming_the_path(tmp_path: Path):
    with pytest.raises(ConfigError, match="function.json"):
        load_manifest(tmp_path / "collect-new")


def test_load_manifest_names_the_function_after_its_directory(tmp_path: Path):
    (tmp_path / "collect-x").mkdir()
    (tmp_path / "collect-x" / "function.json").write_text(json.dumps(GOOD))
    assert load_manifest(tmp_path / "collect-x").function == "collect-x"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path / "metricwatch"


def test_settings_read_follows_imports_including_lazy_ones(tmp_path: Path):
    package = _package(tmp_path, {
        "main.py": "from metricwatch.api import handler\n",
        "metricwatch/__init__.py": "",
        "metricwatch/api.py": "def handler(s):\n    from metricwatch.store import open_store\n    return s.push_tokens\n",
        "metricwatch/store.py": "def open_store(s):\n    return s.mongo_url, s.mongo_db_name\n",
        "metricwatch/unused.py": "def f(s):\n    return s.model_store_url\n",
    })
    # REQUIRE_PUSH_TOKENS is checked by load_settings, so it counts as read wherever PUSH_TOKENS is.
    assert settings_read(tmp_path / "main.py", package) == {"PUSH_TOKENS", "REQUIRE_PUSH_TOKENS", "MONGO_URL",
                                                            "MONGO_DB_NAME"}
    assert package / "unused.py" not in reachable_files(tmp_path / "main.py", package)


def test_cloud_required_settings_are_those_whose_default_only_works_locally():
    assert {"MONGO_URL", "MODEL_STORE_URL", "PUSH_TOKENS"} <= cloud_required()
    assert "LOG_LEVEL" not in cloud_required()
