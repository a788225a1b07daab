"""Reading a declaration file (detection metrics, alerting): one JSON document, errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from metricwatch.errors import ConfigError


def read_declaration(path: str | Path, what: str) -> Any:
    """The file's JSON; a ConfigError `"<what> file <path>: ..."` when it cannot be read or parsed."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"{what} file {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} file {path}: invalid JSON: {exc}") from None
