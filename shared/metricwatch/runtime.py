"""The objects a function instance builds once and reuses while warm.

Settings are read here, once per process; everything else receives them.
`make run` serves every function from one process, so they all share one
runtime (and one in-memory store when MONGO_URL is empty).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Mapping

from metricwatch.alerting.rules import AlertingRules, load_rules
from metricwatch.alerting.store import AlertStore, open_alert_store
from metricwatch.alerting.tracker import IncidentTracker
from metricwatch.config import Settings, environment, load_settings
from metricwatch.detection.catalog import load_catalog
from metricwatch.detection.detector import Detector
from metricwatch.feedback.store import FeedbackStore, SeriesMarks, open_feedback_store
from metricwatch.idempotency import IdempotencyKeys, open_keys
from metricwatch.modelstore import open_model_store
from metricwatch.modelstore.cache import ModelCache
from metricwatch.store import open_store
from metricwatch.store.base import MetricStore


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    detector: Detector
    rules: AlertingRules = AlertingRules()
    environ: Mapping[str, str] = field(default_factory=dict)  # what `${VAR}` references (collectors, receivers) read

    @property
    def store(self) -> MetricStore:
        return self.detector.store

    @cached_property
    def alerts(self) -> AlertStore:
        """Built on first use, so a function that never alerts never touches those collections."""
        return open_alert_store(self.detector.store)

    @cached_property
    def feedback(self) -> FeedbackStore:
        return open_feedback_store(self.detector.store)

    @cached_property
    def idempotency(self) -> IdempotencyKeys:
        return open_keys(self.detector.store)

    @cached_property
    def incidents(self) -> IncidentTracker:
        return IncidentTracker(self.alerts, self.rules)


def build_runtime(settings: Settings, store: MetricStore | None = None,
                  environ: Mapping[str, str] | None = None) -> Runtime:
    """Wire the objects the settings describe; `store` overrides the one MONGO_URL names.

    `environ` is what collectors resolve `${VAR}` against: the process's
    variables over `.env` when the function starts (`get_runtime`), read once
    like the settings; tests pass their own.
    """
    models = open_model_store(settings.model_store_url)
    store = store if store is not None else open_store(settings)
    detector = Detector(
        catalog=load_catalog(settings.detection_metrics_path, settings.default_model),
        store=store,
        models=models,
        cache=ModelCache(models, settings.model_refresh_seconds),
        feedback=SeriesMarks(store),
    )
    return Runtime(settings=settings, detector=detector, rules=load_rules(settings.alerting_path),
                   environ=dict(environ or {}))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (logging is configured from them here)."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    return build_runtime(get_settings(), environ=environment())
