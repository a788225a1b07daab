"""`${VAR}` and `${VAR:-default}` references, resolved from the environment when a collector runs.

Secrets (tokens, connection strings) stay in the environment (Secret Manager
in production); the collectors file only names them.
"""

from __future__ import annotations

import re
from typing import Mapping

from metricwatch.errors import ConfigError

REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def has_reference(text: str) -> bool:
    return bool(REF.search(text))


def resolve(text: str, environ: Mapping[str, str], where: str) -> str:
    """Replace every reference; an unset variable without a default is a ConfigError naming it."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is None:
            raise ConfigError(f"{where}: environment variable {name} is not set", variable=name)
        return default

    return REF.sub(value, text)
