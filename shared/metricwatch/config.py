"""Settings, declared once as data and read once from the environment and `.env`.

`SETTINGS` drives parsing, the error messages and a test that every setting is
documented in `.env.sample` and the README. Entry points call
`load_settings()` once and pass the result down; nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from types import EllipsisType
from typing import Any, Callable, Mapping

from metricwatch.errors import ConfigError


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _worker_count(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 16:  # past a few, threads only queue for the CPU and the connection pools
        raise ValueError("must be a number of threads from 1 to 16")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a positive number")
    return value


def _granularity(raw: str) -> str:
    if raw not in ("seconds", "minutes", "hours"):
        raise ValueError("must be one of seconds, minutes, hours")
    return raw


def _tokens(raw: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in raw.split(",") if t.strip())


def _bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("MONGO_URL", "", "MongoDB connection string (Atlas: mongodb+srv://...). "
            "Empty: an in-memory store, for local runs only."),
    Setting("MONGO_DB_NAME", "metrics", "Database holding the metrics collection."),
    Setting("MONGO_METRICS_COLLECTION", "metrics", "Time-series collection holding every metric."),
    Setting("MONGO_TIMESERIES_GRANULARITY", "minutes",
            "Time-series granularity: seconds, minutes or hours (match your collection interval).",
            _granularity),
    Setting("MONGO_TIMEOUT_MS", "5000", "Server selection / socket timeout for MongoDB calls.",
            _positive_int),
    Setting("METRICS_RETENTION_DAYS", "400",
            "Points older than this are expired by MongoDB (expireAfterSeconds); 0 keeps them forever.",
            _non_negative_int),
    Setting("MODEL_STORE_URL", "file://.data/models",
            "Where trained models live: gs://bucket/prefix or file:///abs/path (file://rel/path is "
            "relative to the working directory)."),
    Setting("MODEL_REFRESH_SECONDS", "60",
            "How long a warm instance trusts a cached model before checking the bucket for a retrained one "
            "(a series the bucket has no model for yet is checked again after at most 5 s).",
            _non_negative_int),
    Setting("DETECTION_METRICS_PATH", "resources/detection_metrics.json",
            "The list of metrics to watch, with their model and training parameters."),
    Setting("DEFAULT_MODEL", "robust_seasonal",
            "Model used for a watched metric that names none in detection_metrics.json."),
    Setting("PUSH_TOKENS", "",
            "Comma-separated bearer tokens accepted by push and query. Empty: no token is required, "
            "unless REQUIRE_PUSH_TOKENS=true (as on a deployment).",
            _tokens),
    Setting("REQUIRE_PUSH_TOKENS", "false",
            "true on public deployments: refuse to serve push and query when PUSH_TOKENS is empty, "
            "so a blank secret cannot open them to everyone.", _bool),
    Setting("MAX_BATCH_POINTS", "5000", "Most points accepted in one push.", _positive_int),
    Setting("MAX_BODY_BYTES", "1048576", "Largest request body accepted, in bytes.", _positive_int),
    Setting("MAX_FUTURE_SKEW_SECONDS", "300",
            "How far in the future a pushed timestamp may be.", _non_negative_int),
    Setting("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR.", _log_level),
    Setting("COLLECTORS_PATH", "resources/collectors.json",
            "The generic collectors (http_json, prometheus, mongo_query), declared as data."),
    Setting("SCHEDULE_PATH", "resources/schedules.json",
            "The schedule declaration the local scheduler of `make run` fires (Terraform reads the same file)."),
    Setting("DEVTO_API_URL", "https://dev.to/api", "Base URL of the dev.to REST API read by collect-devto."),
    Setting("SOURCE_TIMEOUT_SECONDS", "10", "Timeout of each outbound call a collector makes.",
            _positive_float),
    Setting("COLLECT_DEADLINE_SECONDS", "50",
            "A collector run that takes longer is cut off with a 502 (keep it under the attempt deadline).",
            _positive_float),
    Setting("TRAIN_DEADLINE_SECONDS", "1500",
            "A training run starts no new series after this long and answers 503 with the number not reached, "
            "which the retry trains first (keep it under the trainer's timeout, 1800 s).", _positive_float),
    Setting("TRAIN_WORKERS", "4",
            "Series a training run trains at once (1 to 16): threads overlap the waits on MongoDB and the bucket, "
            "not the CPU work of fitting (see make bench-trainer); 1 trains one at a time.",
            _worker_count),
    Setting("IDEMPOTENCY_WINDOW_SECONDS", "86400",
            "How long push remembers an Idempotency-Key: a request repeated with the same key within it "
            "stores nothing again and gets the first answer.", _positive_int),
    Setting("QUERY_MAX_POINTS", "1000", "Most points one query page returns (the default page size).",
            _positive_int),
    Setting("QUERY_MAX_BUCKETS", "50000",
            "Most rows one downsampled query returns over all its series (buckets times series); "
            "more is refused with a 400 asking for fewer series or a coarser step.", _positive_int),
    Setting("ALERTING_PATH", "resources/alerting.json",
            "Alert receivers, routes and maintenance windows (see the README's Alerting section)."),
    Setting("ALERT_EXTERNAL_URL", "",
            "Where people open the system (its dashboard's base URL): alerts' externalURL and generatorURL links. "
            "Empty: alerts carry no links."),
    Setting("NOTIFY_DEADLINE_SECONDS", "45",
            "A notify run sends nothing new after this long; the rest waits for the next run "
            "(keep it under the job's attempt deadline, 60 s).", _positive_float),
    Setting("NOTIFY_TIMEOUT_SECONDS", "5", "Timeout of each delivery to a receiver.", _positive_float),
    Setting("NOTIFY_MAX_AGE_SECONDS", "86400",
            "A notification still undelivered after this long is dropped, with an error log line naming it.",
            _positive_int),
    Setting("PORT", "8080", "Port `make run` serves every function on, at http://127.0.0.1:PORT/<function> "
            "(0: any free port, printed at start).", _port),
)


@dataclass(frozen=True)
class Settings:
    """Typed settings; build with `load_settings()` (fields mirror `SETTINGS`)."""

    mongo_url: str
    mongo_db_name: str
    mongo_metrics_collection: str
    mongo_timeseries_granularity: str
    mongo_timeout_ms: int
    metrics_retention_days: int
    model_store_url: str
    model_refresh_seconds: int
    detection_metrics_path: str
    default_model: str
    push_tokens: tuple[str, ...]
    require_push_tokens: bool
    max_batch_points: int
    max_body_bytes: int
    max_future_skew_seconds: int
    log_level: str
    collectors_path: str
    schedule_path: str
    devto_api_url: str
    source_timeout_seconds: float
    collect_deadline_seconds: float
    train_deadline_seconds: float
    train_workers: int
    idempotency_window_seconds: int
    query_max_points: int
    query_max_buckets: int
    alerting_path: str
    alert_external_url: str
    notify_deadline_seconds: float
    notify_timeout_seconds: float
    notify_max_age_seconds: int
    port: int


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


DOTENV = ".env"  # read from the working directory; tests point it elsewhere (tests/conftest.py)


def environment() -> dict[str, str]:
    """The variables as settings see them: `.env` overlaid by the process environment.

    Collectors resolve their `${VAR}` references against the same view, so a
    token put in `.env` for `make run` works there as a setting would.
    """
    return _variables(None, DOTENV)


def _variables(environ: Mapping[str, str] | None, dotenv: str | Path | None) -> dict[str, str]:
    """`dotenv` (if any) overlaid by `environ` (the process environment when None)."""
    return {**(_read_dotenv(Path(dotenv)) if dotenv else {}), **(os.environ if environ is None else environ)}


def load_settings(environ: Mapping[str, str] | None = None,
                  dotenv: str | Path | None | EllipsisType = ...) -> Settings:
    """Build `Settings` from `.env` overlaid by the environment; fail naming the variable.

    `dotenv`: the file to read (None: none); by default `DOTENV`, read when called.
    """
    source = _variables(environ, DOTENV if dotenv is ... else dotenv)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = source.get(setting.env, setting.default).strip()
        try:
            values[setting.env.lower()] = setting.parse(raw)
        except ValueError as exc:
            reason = "must be an integer" if "invalid literal" in str(exc) else str(exc)
            raise ConfigError(f"{setting.env}={raw!r}: {reason}", variable=setting.env) from None
    if values["require_push_tokens"] and not values["push_tokens"]:
        raise ConfigError("PUSH_TOKENS is empty but REQUIRE_PUSH_TOKENS=true: set at least one token",
                          variable="PUSH_TOKENS")
    return Settings(**values)


assert {f.name for f in fields(Settings)} == {s.env.lower() for s in SETTINGS}, "SETTINGS and Settings disagree"
