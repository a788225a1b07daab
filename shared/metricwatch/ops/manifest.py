"""`functions/<fn>/function.json`: what a function needs from the deployment, as data.

Terraform (`infra/locals.tf`) reads the same file with `jsondecode`, so the
environment, exposure and size of a function are written down once, next to its
code. Fields:

- `description`: one line, shown in the Cloud Console.
- `public`: true if callers outside the project reach it over HTTPS (push, query),
  guarded by the PUSH_TOKENS bearer token; false if only Cloud Scheduler calls it.
- `env`: the settings (names from `config.SETTINGS`) the deployment may set for it.
  MONGO_URL and PUSH_TOKENS come from Secret Manager; the names, retention, model
  bucket and log level from Terraform variables; any other listed setting only if
  the `settings` variable gives it a value. Unlisted settings keep the code's default.
- `memory` (Cloud Run form, e.g. "512Mi"), `timeout_seconds`, `max_instances`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from metricwatch.config import SETTINGS
from metricwatch.errors import ConfigError

FILENAME = "function.json"
FIELDS = {"description", "public", "env", "memory", "timeout_seconds", "max_instances"}
MEMORY = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")


@dataclass(frozen=True)
class Manifest:
    function: str
    description: str
    public: bool
    env: tuple[str, ...]
    memory: str
    timeout_seconds: int
    max_instances: int


def _int(where: str, raw: dict, name: str, low: int, high: int) -> int:
    value = raw[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{where}: {name} must be an integer from {low} to {high}")
    return value


def parse_manifest(function: str, raw: object) -> Manifest:
    """Validate one manifest; errors name the function and the field."""
    where = f"functions/{function}/{FILENAME}"
    if not isinstance(raw, dict) or set(raw) != FIELDS:
        got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ConfigError(f"{where}: must be an object with exactly {sorted(FIELDS)}; got {got}")
    known = {s.env for s in SETTINGS}
    env = raw["env"]
    if not isinstance(env, list) or not all(isinstance(n, str) for n in env) or len(set(env)) != len(env):
        raise ConfigError(f"{where}: env must be a list of distinct setting names")
    if unknown := sorted(set(env) - known):
        raise ConfigError(f"{where}: env names unknown settings {unknown}")
    if not isinstance(raw["public"], bool):
        raise ConfigError(f"{where}: public must be true or false")
    if not isinstance(raw["memory"], str) or not MEMORY.match(raw["memory"]):
        raise ConfigError(f"{where}: memory must look like 256Mi or 1Gi")
    if not isinstance(raw["description"], str) or not raw["description"].strip():
        raise ConfigError(f"{where}: description must be a non-empty string")
    return Manifest(function=function, description=raw["description"], public=raw["public"], env=tuple(env),
                    memory=raw["memory"], timeout_seconds=_int(where, raw, "timeout_seconds", 1, 3600),
                    max_instances=_int(where, raw, "max_instances", 1, 1000))


def load_manifest(function_dir: str | Path) -> Manifest:
    path = Path(function_dir) / FILENAME
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_manifest(Path(function_dir).name, raw)
