"""Settings: read once, validated, and every one of them documented."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from metricwatch.config import SETTINGS, load_settings
from metricwatch.errors import ConfigError


def test_defaults_need_no_configuration():
    settings = load_settings({}, dotenv=None)
    assert settings.mongo_url == ""
    assert settings.mongo_metrics_collection == "metrics"
    assert not settings.push_tokens, "no token configured: none is asked for"


def test_environment_overrides_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("MONGO_DB_NAME=from_file\nMAX_BATCH_POINTS=10\n")
    settings = load_settings({"MONGO_DB_NAME": "from_env"}, dotenv=dotenv)
    assert settings.mongo_db_name == "from_env"
    assert settings.max_batch_points == 10


@pytest.mark.parametrize("name, raw, says", [
    ("MAX_BATCH_POINTS", "many", "must be an integer"),
    ("MAX_BATCH_POINTS", "0", "positive"),
    ("MONGO_TIMESERIES_GRANULARITY", "days", "seconds, minutes, hours"),
    ("LOG_LEVEL", "LOUD", "DEBUG"),
    ("METRICS_RETENTION_DAYS", "-1", "zero or a positive"),
    ("PORT", "70000", "from 0 to 65535"),
])
def test_a_bad_value_names_the_variable(name, raw, says):
    with pytest.raises(ConfigError) as err:
        load_settings({name: raw}, dotenv=None)
    assert name in err.value.message and says in err.value.message


def test_push_tokens_are_comma_separated_scoped_entries():
    tokens = load_settings({"PUSH_TOKENS": " write:a, admin+read : b ,,"}, dotenv=None).push_tokens
    assert [g.scopes for g in tokens.grants] == [{"write"}, {"admin", "read"}] and not tokens.legacy


def test_push_tokens_in_the_old_form_are_still_a_comma_separated_list():
    tokens = load_settings({"PUSH_TOKENS": " a, b ,,"}, dotenv=None).push_tokens
    assert len(tokens) == 2 and tokens.legacy  # each with every scope: tests/test_token_scopes.py


def _variables_read_by_code() -> set[str]:
    """Every upper-case name the code passes to Setting(...) or reads from os.environ."""
    found: set[str] = set()
    for path in (ROOT / "shared" / "metricwatch").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'Setting\(\s*"([A-Z][A-Z0-9_]+)"', text))
        found |= set(re.findall(r'environ(?:\.get)?\[?\(?\s*"([A-Z][A-Z0-9_]+)"', text))
    return found


def test_every_setting_is_in_env_sample_and_readme():
    sample = (ROOT / ".env.sample").read_text()
    readme = (ROOT / "README.md").read_text()
    names = {s.env for s in SETTINGS} | _variables_read_by_code()
    missing_sample = sorted(n for n in names if not re.search(rf"^#?\s*{n}=", sample, re.M))
    missing_readme = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing_sample, f"not in .env.sample: {missing_sample}"
    assert not missing_readme, f"not in README.md: {missing_readme}"


def test_env_sample_loads_as_valid_settings():
    load_settings({}, dotenv=ROOT / ".env.sample")


def test_documented_defaults_are_the_code_defaults():
    sample = (ROOT / ".env.sample").read_text()
    readme = (ROOT / "README.md").read_text()
    for s in SETTINGS:
        assert re.search(rf"^#?\s*{s.env}={re.escape(s.default)}$", sample, re.M), f".env.sample: {s.env}"
        shown = f"`{s.default}`" if s.default else "(empty)"
        assert f"| `{s.env}` | {shown} |" in readme, f"README configuration table: {s.env} default"


def test_a_started_function_reads_the_variables_once_dotenv_under_the_environment(tmp_path, monkeypatch, make_settings):
    """What collectors resolve `${VAR}` against: `.env` overlaid by the process, as for settings."""
    import metricwatch.config
    import metricwatch.runtime as process

    (tmp_path / ".env").write_text("STATS_TOKEN=from-dotenv\nSHADOWED=from-dotenv\n")
    monkeypatch.setattr(metricwatch.config, "DOTENV", str(tmp_path / ".env"))
    monkeypatch.setenv("SHADOWED", "from-environment")
    monkeypatch.setattr(process, "get_settings", lambda: make_settings())
    process.get_runtime.cache_clear()
    try:
        environ = process.get_runtime().environ
    finally:
        process.get_runtime.cache_clear()
    assert environ["STATS_TOKEN"] == "from-dotenv" and environ["SHADOWED"] == "from-environment"
