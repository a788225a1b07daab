"""The objects a function instance builds once and reuses while warm.

Settings are read here, once per process; everything else receives them.
`make run` serves every function from one process, so they all share one
runtime (and one in-memory store when MONGO_URL is empty).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Mapping

from metricwatch.alerting.rules import AlertingRules, load_rules
from metricwatch.config import Settings, environment, load_settings
from metricwatch.store import open_store
from metricwatch.store.base import MetricStore

if TYPE_CHECKING:
    from metricwatch.alerting.store import AlertStore
    from metricwatch.alerting.tracker import IncidentTracker
    from metricwatch.detection.catalog import WatchedMetric
    from metricwatch.detection.detector import Detector
    from metricwatch.feedback.store import FeedbackStore
    from metricwatch.idempotency import IdempotencyKeys
    from metricwatch.store.heads import SeriesHeads


@dataclass(frozen=True)
class Runtime:
    """Each part is built on first use and imports its code then: query, the dashboard and Grafana
    never ask for the detector, so they neither load nor ship numpy, joblib or scikit-learn
    (`ops/imports.py` checks what each function can reach)."""

    settings: Settings
    store: MetricStore
    rules: AlertingRules = AlertingRules()
    environ: Mapping[str, str] = field(default_factory=dict)  # what `${VAR}` references (collectors, receivers) read

    @cached_property
    def catalog(self) -> dict[str, WatchedMetric]:
        from metricwatch.detection.catalog import load_catalog

        return load_catalog(self.settings.detection_metrics_path, self.settings.default_model)

    @cached_property
    def detector(self) -> Detector:
        from metricwatch.detection.detector import Detector
        from metricwatch.feedback.store import SeriesMarks
        from metricwatch.modelstore import open_model_store
        from metricwatch.modelstore.cache import ModelCache

        models = open_model_store(self.settings.model_store_url)
        return Detector(catalog=self.catalog, store=self.store, models=models,
                        cache=ModelCache(models, self.settings.model_refresh_seconds,
                                         max_entries=self.settings.model_cache_entries),
                        feedback=SeriesMarks(self.store), heads=self.heads,
                        state_entries=self.settings.push_state_series)

    @cached_property
    def heads(self) -> SeriesHeads:
        """Every write's series heads (`store/heads.py`): the freshness of push's windows, and a series catalogue."""
        from metricwatch.store.heads import open_heads

        return open_heads(self.store, self.settings.metrics_retention_days)

    @cached_property
    def alerts(self) -> AlertStore:
        """Built on first use, so a function that never alerts never touches those collections."""
        from metricwatch.alerting.store import open_alert_store

        return open_alert_store(self.store)

    @cached_property
    def feedback(self) -> FeedbackStore:
        from metricwatch.feedback.store import open_feedback_store

        return open_feedback_store(self.store)

    @cached_property
    def idempotency(self) -> IdempotencyKeys:
        from metricwatch.idempotency import open_keys

        return open_keys(self.store)

    @cached_property
    def incidents(self) -> IncidentTracker:
        from metricwatch.alerting.tracker import IncidentTracker

        return IncidentTracker(self.alerts, self.rules, calm_entries=self.settings.push_state_series)


def build_runtime(settings: Settings, store: MetricStore | None = None,
                  environ: Mapping[str, str] | None = None) -> Runtime:
    """Wire the objects the settings describe; `store` overrides the one MONGO_URL names.

    `environ` is what collectors resolve `${VAR}` against: the process's
    variables over `.env` when the function starts (`get_runtime`), read once
    like the settings; tests pass their own.
    """
    store = store if store is not None else open_store(settings)
    return Runtime(settings=settings, store=store, rules=load_rules(settings.alerting_path),
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
