"""The bearer tokens of the public functions and their scopes: the only code that reads PUSH_TOKENS.

Each guarded endpoint names the scope it needs, `guard=bearer_token("read")`, or
one per method, `guard=bearer_token({"GET": "read", "POST": "admin"})`
(README, "Tokens and scopes"). No token, or one that is not configured, is a 401;
a configured token without the scope is a 403 naming the scope.

The presented token is compared with every configured one, each time, with
`hmac.compare_digest` on SHA-256 digests (all of one length), and the scopes of
whichever matched are gathered without a branch, so the time taken does not tell
which token matched or what it may do. Nothing here logs or returns a token.

Kept out of `http.py` so that the settings a function reads, found statically
from its imports (`ops/codescan.py`), include PUSH_TOKENS only where it is checked.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable, Mapping

from metricwatch.config import SCOPES, PushTokens, Settings, scope_names, token_digest
from metricwatch.errors import Forbidden, Unauthorized

Guard = Callable[[Any, Settings], None]


def held_scopes(given: str, tokens: PushTokens) -> frozenset[str]:
    """The scopes `given` holds: those of every configured entry it equals (none: not a token)."""
    presented = token_digest(given)
    held = 0
    for grant in tokens.grants:  # all of them, whichever matches
        held |= grant.mask * hmac.compare_digest(presented, grant.digest)
    return scope_names(held)


def check_token(request: Any, tokens: PushTokens, scope: str) -> None:
    """Require `Authorization: Bearer <token>` holding `scope` when tokens are configured."""
    if not tokens:
        return
    header = request.headers.get("Authorization", "")
    auth_scheme, _, given = header.partition(" ")
    if auth_scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("missing 'Authorization: Bearer <token>' header")
    held = held_scopes(given.strip(), tokens)
    if not held:
        raise Unauthorized("invalid token")
    if scope not in held:
        raise Forbidden(f"this token does not hold the '{scope}' scope, which {request.method} here needs",
                        scope=scope)


def bearer_token(scope: str | Mapping[str, str]) -> Guard:
    """The `endpoint` guard of a public function: `scope` for every method, or a scope per method."""
    by_method = dict(scope) if isinstance(scope, Mapping) else None
    named = set(by_method.values()) if by_method is not None else {scope}
    if not named or not named <= set(SCOPES):
        raise ValueError(f"bearer_token needs scopes among {SCOPES}, not {sorted(map(str, named))}")

    def guard(request: Any, settings: Settings) -> None:
        # `endpoint` refuses a method it does not serve before the guard runs; one served but not
        # mapped needs every scope there is rather than none.
        needed = scope if by_method is None else by_method.get(request.method)
        for one in [needed] if needed else SCOPES:
            check_token(request, settings.push_tokens, one)

    guard.scopes = by_method if by_method is not None else scope  # type: ignore[attr-defined]  # read by tests
    return guard
