"""`functions/<fn>/function.json`: what a function needs from the deployment, as data.

Terraform (`infra/locals.tf`) reads the same file with `jsondecode`, so the
environment, exposure, model access and size of a function are written down once,
next to its code. Fields:

- `description`: one line, shown in the Cloud Console.
- `public`: true if callers outside the project reach it over HTTPS (push, query),
  guarded by the PUSH_TOKENS bearer token; false if only Cloud Scheduler calls it.
  A public function must list PUSH_TOKENS and REQUIRE_PUSH_TOKENS (Terraform sets
  the latter to true, so a blank token secret stops it instead of opening it) and
  may only read the model bucket.
- `model_bucket`: "write" for the function that trains and saves models (it runs as
  the writer account, object admin on the bucket); "read" for every other one (object
  viewer: the public account if `public`, else the reader, so a collector's secrets
  never reach an internet-facing function). Models are pickles: loading one runs
  code, so write access stays away from anything reachable from the internet.
- `env`: the settings (names from `config.SETTINGS`) the deployment may set for it.
  MONGO_URL and PUSH_TOKENS come from Secret Manager; the names, retention, model
  bucket and log level from Terraform variables; any other listed setting only if
  the `settings` variable gives it a value. Unlisted settings keep the code's default.
- `secrets`: names of other environment variables (not settings) the function reads,
  e.g. the `${VAR}` references of a declared collector; each is a Secret Manager
  secret of its own that only this function's account may read.
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
FIELDS = {"description", "public", "model_bucket", "env", "secrets", "memory", "timeout_seconds", "max_instances"}
MEMORY = re.compile(r"[1-9][0-9]*(Mi|Gi)")
VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
PUBLIC_ENV = ("PUSH_TOKENS", "REQUIRE_PUSH_TOKENS")
# Settings a deployment never sets: Cloud Run owns PORT; the paths name files shipped in the zip.
NOT_DEPLOYED = {"PORT", "COLLECTORS_PATH", "DETECTION_METRICS_PATH", "SCHEDULE_PATH", "ALERTING_PATH"}
# Set by Cloud Run or the Functions Framework; a secret of that name would break the function.
RESERVED = {"K_SERVICE", "K_REVISION", "K_CONFIGURATION", "FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE"}


@dataclass(frozen=True)
class Manifest:
    function: str
    description: str
    public: bool
    model_bucket: str
    env: tuple[str, ...]
    secrets: tuple[str, ...]
    memory: str
    timeout_seconds: int
    max_instances: int


def _int(where: str, raw: dict, name: str, low: int, high: int) -> int:
    value = raw[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{where}: {name} must be an integer from {low} to {high}")
    return value


def _names(where: str, raw: dict, field: str) -> list[str]:
    names = raw[field]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"{where}: {field} must be a list of distinct names")
    return names


def _check_env(where: str, env: list[str], public: bool) -> None:
    if unknown := sorted(set(env) - {s.env for s in SETTINGS}):
        raise ConfigError(f"{where}: env names unknown settings {unknown}")
    if never := sorted(set(env) & NOT_DEPLOYED):
        raise ConfigError(f"{where}: env lists {never}, which a deployment never sets")
    if public and (missing := [n for n in PUBLIC_ENV if n not in env]):
        raise ConfigError(f"{where}: a public function must list {missing} in env (its bearer-token check)")
    if not public and "REQUIRE_PUSH_TOKENS" in env:
        raise ConfigError(f"{where}: REQUIRE_PUSH_TOKENS is for public functions only")


def _check_secrets(where: str, secrets: list[str]) -> None:
    bad = [n for n in secrets if not VARIABLE.fullmatch(n) or n in RESERVED]
    if bad:
        raise ConfigError(f"{where}: secrets {bad} must be UPPER_CASE environment variable names, "
                          f"not one of {sorted(RESERVED)}")
    if settings := sorted(set(secrets) & {s.env for s in SETTINGS}):
        raise ConfigError(f"{where}: secrets {settings} are settings: list them in env instead")


def parse_manifest(function: str, raw: object) -> Manifest:
    """Validate one manifest; errors name the function and the field."""
    where = f"functions/{function}/{FILENAME}"
    if not isinstance(raw, dict) or set(raw) != FIELDS:
        got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ConfigError(f"{where}: must be an object with exactly {sorted(FIELDS)}; got {got}")
    if not isinstance(raw["public"], bool):
        raise ConfigError(f"{where}: public must be true or false")
    if raw["model_bucket"] not in ("read", "write"):
        raise ConfigError(f"{where}: model_bucket must be \"read\" or \"write\"")
    if raw["public"] and raw["model_bucket"] != "read":
        raise ConfigError(f"{where}: a public function may only read the model bucket (models are pickles)")
    env, secrets = _names(where, raw, "env"), _names(where, raw, "secrets")
    _check_env(where, env, raw["public"])
    _check_secrets(where, secrets)
    if not isinstance(raw["memory"], str) or not MEMORY.fullmatch(raw["memory"]):
        raise ConfigError(f"{where}: memory must look like 256Mi or 1Gi")
    if not isinstance(raw["description"], str) or not raw["description"].strip():
        raise ConfigError(f"{where}: description must be a non-empty string")
    return Manifest(function=function, description=raw["description"], public=raw["public"],
                    model_bucket=raw["model_bucket"], env=tuple(env), secrets=tuple(secrets), memory=raw["memory"],
                    timeout_seconds=_int(where, raw, "timeout_seconds", 1, 3600),
                    max_instances=_int(where, raw, "max_instances", 1, 1000))


def load_manifest(function_dir: str | Path) -> Manifest:
    path = Path(function_dir) / FILENAME
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_manifest(Path(function_dir).name, raw)
