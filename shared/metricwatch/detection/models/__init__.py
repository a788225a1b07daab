"""The model registry: a name in `detection_metrics.json` picks a class here.

Adding a model is one new module with a class implementing
`metricwatch.detection.models.base.AnomalyModel`, plus one line in `_MODULES`.
"""

from __future__ import annotations

import importlib
from typing import Any

from metricwatch.detection.models.base import AnomalyModel
from metricwatch.errors import ConfigError

# name -> "module:Class", imported on first use so a function loads only its model's code.
_MODULES: dict[str, str] = {
    "sklearn_iforest": "metricwatch.detection.models.iforest:IsolationForestModel",
    "robust_seasonal": "metricwatch.detection.models.robust_seasonal:RobustSeasonalModel",
    "robust_zscore": "metricwatch.detection.models.robust_zscore:RobustZScoreModel",
}


def model_names() -> list[str]:
    return sorted(_MODULES)


def model_class(name: str) -> type:
    try:
        module, cls = _MODULES[name].split(":")
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(model_names())}") from None
    return getattr(importlib.import_module(module), cls)


def create_model(name: str, params: dict[str, Any] | None = None) -> AnomalyModel:
    """Build an untrained model from its `train_params`; a wrong parameter names itself."""
    try:
        return model_class(name)(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"model {name!r}: bad train_params: {exc}") from None
    except ValueError as exc:
        raise ConfigError(f"model {name!r}: bad train_params: {exc}") from None
