"""Who sent a request that Cloud Run let in: the identity its Google-signed ID token names.

A private function (the trainer) is reached only by callers holding roles/run.invoker on it.
Cloud Run checks their token's signature and audience before the request arrives, and then
passes the `Authorization` header on with the signature removed, so here the token can only be
read, not checked again. Reading its `email` tells the queue's shard calls (the Cloud Tasks
invoker account) from the scheduler's run calls, which may invoke the same function. Outside
Cloud Run, nothing checks the signature: this is a second gate behind IAM, never the only one.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from metricwatch.errors import Forbidden, Unauthorized


def token_claims(request: Any) -> dict[str, Any]:
    """The claims of the request's `Authorization: Bearer <ID token>`; 401 without a readable one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing 'Authorization: Bearer <ID token>' header")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise Unauthorized("the bearer token is not an ID token (a JWT of three parts)")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise Unauthorized("the bearer token's claims cannot be read") from None
    if not isinstance(claims, dict):
        raise Unauthorized("the bearer token's claims cannot be read")
    return claims


def require_identity(request: Any, email: str) -> None:
    """401 without an ID token; 403 when it names another identity than `email` (or an unverified one)."""
    claims = token_claims(request)
    if claims.get("email") != email or claims.get("email_verified") is False:
        raise Forbidden("only the training queue's service account may send shards here", identity=email)
