"""Model storage, picked by URL scheme: `file://` (a directory) or `gs://` (a GCS bucket)."""

from __future__ import annotations

from urllib.parse import urlparse

from metricwatch.errors import ConfigError
from metricwatch.modelstore.base import ModelStore


def open_model_store(url: str) -> ModelStore:
    """`gs://bucket/prefix`, `file:///abs/dir` or `file://rel/dir` (relative to the working directory)."""
    parsed = urlparse(url)
    if parsed.scheme == "gs":
        if not parsed.netloc:
            raise ConfigError(f"MODEL_STORE_URL={url!r}: gs:// needs a bucket name", variable="MODEL_STORE_URL")
        from metricwatch.modelstore.gcs import GcsModelStore

        return GcsModelStore(parsed.netloc, parsed.path)
    if parsed.scheme == "file":
        path = url[len("file://"):]
        if not path:
            raise ConfigError(f"MODEL_STORE_URL={url!r}: file:// needs a directory", variable="MODEL_STORE_URL")
        from metricwatch.modelstore.local import FileModelStore

        return FileModelStore(path)
    raise ConfigError(f"MODEL_STORE_URL={url!r}: scheme must be gs:// or file://", variable="MODEL_STORE_URL")
