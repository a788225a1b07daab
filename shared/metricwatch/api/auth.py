"""The bearer token of the public functions (push, query): the only code that reads PUSH_TOKENS.

Kept out of `http.py` so that the settings a function reads, found statically
from its imports (`ops/codescan.py`), include PUSH_TOKENS only where it is checked.
"""

from __future__ import annotations

import hmac
from typing import Any, Iterable

from metricwatch.config import Settings
from metricwatch.errors import Unauthorized


def check_token(request: Any, tokens: Iterable[str]) -> None:
    """Require `Authorization: Bearer <token>` when tokens are configured."""
    tokens = tuple(tokens)
    if not tokens:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise Unauthorized("missing 'Authorization: Bearer <token>' header")
    if not any(hmac.compare_digest(given.strip().encode(), t.encode()) for t in tokens):
        raise Unauthorized("invalid token")


def bearer_token(request: Any, settings: Settings) -> None:
    """The `endpoint` guard of push and query."""
    check_token(request, settings.push_tokens)
