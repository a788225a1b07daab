"""Settings, declared once as data and read once from the environment and `.env`.

`SETTINGS` drives parsing, the error messages and a test that every setting is
documented in `.env.sample` and the README. Entry points call
`load_settings()` once and pass the result down; nothing else reads `os.environ`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import EllipsisType
from typing import Any, Callable, Iterable, Mapping

from metricwatch.errors import ConfigError

log = logging.getLogger(__name__)


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


# What a PUSH_TOKENS token may be allowed to do (README, "Tokens and scopes"); none implies another.
SCOPES = ("write", "read", "admin")
_SCOPE_BITS = {name: 1 << i for i, name in enumerate(SCOPES)}
ALL_SCOPES = sum(_SCOPE_BITS.values())
_SHOWABLE_SCOPE = re.compile(r"[A-Za-z_-]{1,16}")  # a mistyped scope name, not a fragment of a token


def token_digest(token: str) -> bytes:
    """SHA-256 of a token: what is kept and compared, so every comparison has the same length."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def scope_mask(scopes: Iterable[str]) -> int:
    return sum(_SCOPE_BITS[s] for s in set(scopes))


def scope_names(mask: int) -> frozenset[str]:
    return frozenset(name for name, bit in _SCOPE_BITS.items() if mask & bit)


@dataclass(frozen=True)
class TokenGrant:
    """One PUSH_TOKENS entry: a token, kept only as its digest, and the scopes it holds (a bit mask)."""

    digest: bytes = field(repr=False)
    mask: int

    @property
    def scopes(self) -> frozenset[str]:
        return scope_names(self.mask)


@dataclass(frozen=True)
class PushTokens:
    """The parsed PUSH_TOKENS; empty (falsy) when no token is configured.

    `legacy`: written in the deprecated form, plain tokens, each given every scope.
    No token's text is kept, so neither a repr nor a log line of the settings can show one.
    """

    grants: tuple[TokenGrant, ...] = ()
    legacy: bool = False

    def __len__(self) -> int:
        return len(self.grants)


def _push_tokens(raw: str) -> PushTokens:
    """`SCOPES:TOKEN,...` (SCOPES: names of `SCOPES` joined by `+`), or the deprecated `TOKEN,...`.

    Errors name the entry by its position, never its text: it may hold a token.
    """
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    if not entries:
        return PushTokens()
    scoped = [":" in e for e in entries]
    if not any(scoped):
        return PushTokens(tuple(TokenGrant(token_digest(e), ALL_SCOPES) for e in entries), legacy=True)
    grants = []
    for i, entry in enumerate(entries, 1):
        where = f"entry {i} of {len(entries)}"
        if not scoped[i - 1]:
            raise ValueError(f"{where} has no scopes: write every entry as SCOPES:TOKEN (say read:TOKEN), "
                             "or none of them (the deprecated form: every token with every scope)")
        names, _, token = entry.partition(":")
        if not token.strip():
            raise ValueError(f"{where} has no token after its ':'")
        scopes = [n.strip() for n in names.split("+")]
        for name in scopes:
            if name not in _SCOPE_BITS:
                shown = (f": {name!r} is not a scope" if _SHOWABLE_SCOPE.fullmatch(name) else
                         " has an empty scope" if not name else
                         " has an unknown scope (not shown: it may be part of a token)")
                raise ValueError(f"{where}{shown}; the scopes are {', '.join(SCOPES)}, joined with '+' "
                                 "as in admin+read:TOKEN")
        grants.append(TokenGrant(token_digest(token.strip()), scope_mask(scopes)))
    return PushTokens(tuple(grants))


_legacy_tokens_noted = False


def _note_legacy_tokens(count: int) -> None:
    """Say once per process that PUSH_TOKENS is in the deprecated form; never which tokens it holds."""
    global _legacy_tokens_noted
    if not _legacy_tokens_noted:
        _legacy_tokens_noted = True
        log.warning("PUSH_TOKENS lists %d token(s) without scopes, each given every scope (%s): this form is "
                    "deprecated; write SCOPES:TOKEN entries, as in write:TOKEN1,admin+read:TOKEN2 "
                    "(README, Tokens and scopes)", count, ", ".join(SCOPES))


@dataclass(frozen=True)
class TrainDispatch:
    """Where a fanned-out training run sends its shards (TRAIN_DISPATCH, parsed).

    `inline`: in this process, `concurrency` shards at a time (`make run`, tests, a deployment
    without a queue); `cloudtasks`: one Cloud Tasks task per shard on `queue`
    (projects/P/locations/L/queues/Q), each an HTTP call to the train function.
    """

    kind: str
    concurrency: int = 2
    queue: str = ""


_QUEUE_PATH = re.compile(r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z0-9-]+/queues/[A-Za-z0-9-]{1,100}")


def _train_dispatch(raw: str) -> TrainDispatch:
    """`inline`, `inline:N` (N shards at once, 1 to 16) or `cloudtasks://projects/P/locations/L/queues/Q`."""
    if raw == "inline":
        return TrainDispatch("inline")
    if raw.startswith("inline:"):
        return TrainDispatch("inline", concurrency=_worker_count(raw[len("inline:"):]))
    if raw.startswith("cloudtasks://"):
        queue = raw[len("cloudtasks://"):].strip("/")
        if not _QUEUE_PATH.fullmatch(queue):
            raise ValueError("must name a queue as cloudtasks://projects/PROJECT/locations/REGION/queues/QUEUE")
        return TrainDispatch("cloudtasks", queue=queue)
    raise ValueError("must be inline, inline:N (N shards at once) or cloudtasks://projects/P/locations/L/queues/Q")


def _https_url(raw: str) -> str:
    if raw and not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s?#]*)?", raw):
        raise ValueError("must be an https:// URL without query or fragment (the train function's URL)")
    return raw.rstrip("/")


def _service_account(raw: str) -> str:
    if raw and not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.gserviceaccount\.com", raw):
        raise ValueError("must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)")
    return raw


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
    secret: bool = False  # an error about it never repeats its value


SETTINGS: tuple[Setting, ...] = (
    Setting("MONGO_URL", "", "MongoDB connection string (Atlas: mongodb+srv://...). "
            "Empty: an in-memory store, for local runs only.", secret=True),
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
    # Sized for a 512 MiB function: a loaded robust_seasonal model measures about 9 KiB in memory
    # (tracemalloc over joblib.load, 7 days at 1 or 5 minutes), so 10,000 entries are ~90 MiB, beside
    # ~150 MiB of interpreter, numpy and scikit-learn and room for a 1,000-point batch. An
    # sklearn_iforest model is ~0.8 MiB: at most ~200 of them fit in the same budget.
    Setting("MODEL_CACHE_ENTRIES", "10000",
            "How many models a warm instance keeps in memory (least recently used go first). The default suits "
            "a 512 MiB function with robust_seasonal models (~9 KiB each, ~90 MiB in all); sklearn_iforest "
            "models are ~0.8 MiB each: lower it to ~200 for them. A warning with a count is logged when series "
            "are evicted and reloaded within MODEL_REFRESH_SECONDS (the cache is too small for the instance's series).",
            _positive_int),
    # A window of robust_seasonal's 576 context points is two float64 arrays, ~9 KiB: 10,000 series are
    # ~90 MiB beside the model cache's ~90 MiB, within the push and collector functions' 1 GiB.
    Setting("PUSH_STATE_SERIES", "10000",
            "How many series a warm instance keeps the recent window of (the model's context points, ~9 KiB "
            "each for robust_seasonal), so that a push of a series this instance wrote last is scored without "
            "reading its history (least recently used go first). 0 keeps none: every push reads its context. "
            "Either way each write bumps its series' head in the <metrics collection>_heads collection.",
            _non_negative_int),
    Setting("DETECTION_METRICS_PATH", "resources/detection_metrics.json",
            "The list of metrics to watch, with their model and training parameters."),
    Setting("DEFAULT_MODEL", "robust_seasonal",
            "Model used for a watched metric that names none in detection_metrics.json."),
    Setting("PUSH_TOKENS", "",
            "Bearer tokens of the public functions with their scopes, comma-separated SCOPES:TOKEN entries "
            "(scopes write, read, admin; several joined with +: write:T1,read:T2,admin+read:T3). A plain "
            "list of tokens (T1,T2) is deprecated and gives each every scope. Empty: no token is required, "
            "unless REQUIRE_PUSH_TOKENS=true (as on a deployment).",
            _push_tokens, secret=True),
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
    Setting("TRAIN_DISPATCH", "inline",
            "Where a training run too long for one instance sends its shards: inline (in this process, 2 at a "
            "time; inline:N for N) or cloudtasks://projects/P/locations/L/queues/Q (one Cloud Tasks task per "
            "shard, each an authenticated call to the train function: a parallel instance).", _train_dispatch),
    Setting("TRAIN_SERIES_SECONDS", "0.15",
            "Wall seconds one train instance takes per series (7 days at 1 minute, with TRAIN_WORKERS; make "
            "bench-trainer measures it): a run whose series would take longer than 80% of TRAIN_DEADLINE_SECONDS "
            "is split into shards sized to fit it.", _positive_float),
    Setting("TRAIN_MAX_SHARDS", "100",
            "Most shards one run is split into, hence most train instances at once (keep the train function's "
            "max_instances and the queue's max_concurrent_dispatches at least this); fewer than the deadline "
            "needs makes each shard stop at its deadline and its retry continue.", _positive_int),
    Setting("TRAIN_SHARD_URL", "",
            "The train function's https URL, which each Cloud Tasks task calls (at /shard) and names as its "
            "OIDC audience. Needed with TRAIN_DISPATCH=cloudtasks://...", _https_url),
    Setting("TRAIN_SHARD_SERVICE_ACCOUNT", "",
            "Email of the service account whose OIDC token Cloud Tasks sends with each shard; the shard "
            "endpoint answers only calls carrying that identity. Needed with TRAIN_DISPATCH=cloudtasks://... "
            "Empty: shards run in process only, and /train/shard takes any caller the platform lets in.",
            _service_account),
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
    model_cache_entries: int
    push_state_series: int
    detection_metrics_path: str
    default_model: str
    push_tokens: PushTokens
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
    train_dispatch: TrainDispatch
    train_series_seconds: float
    train_max_shards: int
    train_shard_url: str
    train_shard_service_account: str
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
            shown = setting.env if setting.secret else f"{setting.env}={raw!r}"
            raise ConfigError(f"{shown}: {reason}", variable=setting.env) from None
    if values["require_push_tokens"] and not values["push_tokens"]:
        raise ConfigError("PUSH_TOKENS is empty but REQUIRE_PUSH_TOKENS=true: set at least one token",
                          variable="PUSH_TOKENS")
    if values["train_dispatch"].kind == "cloudtasks":
        for name in ("TRAIN_SHARD_URL", "TRAIN_SHARD_SERVICE_ACCOUNT"):
            if not values[name.lower()]:
                raise ConfigError(f"{name} is empty but TRAIN_DISPATCH={source.get('TRAIN_DISPATCH', '').strip()!r}: "
                                  "Cloud Tasks needs the URL to call and the identity to call it as", variable=name)
    if values["push_tokens"].legacy:
        _note_legacy_tokens(len(values["push_tokens"]))
    return Settings(**values)


assert {f.name for f in fields(Settings)} == {s.env.lower() for s in SETTINGS}, "SETTINGS and Settings disagree"
