"""Collectors: scheduled functions that read a source and store points with verdicts.

`resolve(name, settings)` finds a collector by name: first the ones written as
code (`builtin`, registered with `@collector`), then the ones declared as
data in the collectors file. `runner.run_collector` runs one.
"""

from __future__ import annotations

from metricwatch.collectors import builtin  # noqa: F401  (registers the code collectors)
from metricwatch.collectors.base import REGISTRY, CollectFn, Context, Sample, collector
from metricwatch.collectors.declared import load_declared
from metricwatch.config import Settings
from metricwatch.errors import ConfigError, NotFound

__all__ = ["CollectFn", "Context", "Sample", "collector", "known", "resolve"]


def _all(settings: Settings) -> dict[str, CollectFn]:
    """Every collector by name; a name both in code and in the collectors file is refused."""
    declared = load_declared(settings.collectors_path)
    clash = set(declared) & set(REGISTRY)
    if clash:
        raise ConfigError(f"collectors {sorted(clash)} are both written in code and declared in "
                          f"{settings.collectors_path}")
    return {**REGISTRY, **{name: entry.collect for name, entry in declared.items()}}


def known(settings: Settings) -> set[str]:
    """Every collector name: registered in code or declared in the collectors file."""
    return set(_all(settings))


def resolve(name: str, settings: Settings) -> CollectFn:
    collectors = _all(settings)
    if name not in collectors:
        raise NotFound(f"no collector named {name!r}; known: {sorted(collectors)}")
    return collectors[name]
