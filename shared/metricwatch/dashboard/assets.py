"""The dashboard's static files: a fixed list of names read from the package, never a path from a request.

A request names a file by its base name only; anything not in `TYPES` is a
404, so no `..`, no encoded slash and no other file of the package can be
served. Each file is read once and versioned by its content hash: the shell
asks for `assets/<name>?v=<hash>`, which may be cached for good, since a
changed file gets a new hash and so a new URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "assets"
# uPlot, from the npm registry (`npm pack uplot@1.6.32`), MIT licence in LICENSE.uplot beside it.
UPLOT_VERSION = "1.6.32"
UPLOT_SHA256 = {"uplot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
                "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04"}
TYPES = {
    "uplot.iife.min.js": "text/javascript; charset=utf-8",
    "uPlot.min.css": "text/css; charset=utf-8",
    "LICENSE.uplot": "text/plain; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    name: str
    content_type: str
    body: bytes
    version: str  # the first 16 hex digits of the body's SHA-256

    @property
    def url(self) -> str:
        """Relative to the shell's base: the hash makes the URL change whenever the file does."""
        return f"assets/{self.name}?v={self.version}"


def asset(name: str) -> Asset | None:
    """The whitelisted file `name`, or None for any other name (never cached: the names are the caller's)."""
    return _read(name) if name in TYPES else None


@lru_cache(maxsize=None)  # bounded by TYPES: only whitelisted names get here
def _read(name: str) -> Asset:
    body = (ASSET_DIR / name).read_bytes()
    return Asset(name=name, content_type=TYPES[name], body=body, version=hashlib.sha256(body).hexdigest()[:16])
