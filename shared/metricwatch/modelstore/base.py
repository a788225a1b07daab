"""Where trained models live: a small interface over a bucket of named blobs.

Implementations are picked by URL scheme in `metricwatch.modelstore.open_model_store`.
A `version` is an opaque token that changes whenever an object is rewritten
(a GCS generation, a file's mtime and size), so a warm instance can tell a
retrained model from the one it already holds without downloading it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class ModelStore(Protocol):
    url: str

    def save(self, name: str, data: bytes) -> None:
        """Write (or overwrite) an object; readers then see a new version."""
        ...

    def version(self, name: str) -> str | None:
        """The object's current version, or None when it does not exist."""
        ...

    def load(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and their version, or None when it does not exist."""
        ...

    def names(self) -> list[str]:
        """Every object name in the store (for listing and tests)."""
        ...

    def updated(self) -> dict[str, datetime]:
        """When each object was last written (UTC), by name, in one listing.

        The trainer trains the series whose model is oldest first, so a run
        cut short by its time budget is continued, not restarted, by the next.
        """
        ...
