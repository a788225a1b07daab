"""The `${VAR}` references of a declared collector, against what its deployment supplies.

A deployed collector sees only the environment Terraform gives it: the settings its
function.json lists in `env` and the Secret Manager values it lists in `secrets`.
A reference without a default (`${QUEUE_TOKEN}`) must be one of those, or the run
answers 500 "environment variable ... is not set". A reference with a default
(`${GITHUB_AUTHORIZATION:-}`) is optional: unlisted, the default is used; list it in
`secrets` to give it a value in the cloud.
"""

from __future__ import annotations

from typing import Any

from metricwatch.collectors.declared import Declared
from metricwatch.envref import REF
from metricwatch.ops.manifest import Manifest


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def references(entry: Declared) -> dict[str, bool]:
    """Variable name => required (referenced at least once without a default)."""
    found: dict[str, bool] = {}
    for text in _strings(entry.params) + _strings(entry.headers):
        for match in REF.finditer(text):
            found[match.group(1)] = found.get(match.group(1), False) or match.group(2) is None
    return found


def unsupplied(entry: Declared, manifest: Manifest) -> tuple[list[str], list[str]]:
    """(required, optional) references that the deployment of `manifest` never sets."""
    supplied = set(manifest.env) | set(manifest.secrets)
    refs = references(entry)
    return (sorted(n for n, required in refs.items() if required and n not in supplied),
            sorted(n for n, required in refs.items() if not required and n not in supplied))
