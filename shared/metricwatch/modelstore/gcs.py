"""`gs://bucket/prefix` model store on Google Cloud Storage.

The client honours `STORAGE_EMULATOR_HOST`, which is how the tests run this
exact code against a local emulator. The object generation is the version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metricwatch.errors import ModelError


class GcsModelStore:
    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        if client is None:
            from google.cloud import storage

            client = storage.Client()
        self.bucket = client.bucket(bucket)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"gs://{bucket}/{self.prefix}"

    def _blob_name(self, name: str) -> str:
        return self.prefix + name

    def save(self, name: str, data: bytes) -> None:
        blob = self.bucket.blob(self._blob_name(name))
        blob.upload_from_string(data, content_type="application/octet-stream")

    def version(self, name: str) -> str | None:
        blob = self.bucket.get_blob(self._blob_name(name))
        return None if blob is None else str(blob.generation)

    def load(self, name: str) -> tuple[bytes, str] | None:
        from google.api_core.exceptions import NotFound, PreconditionFailed

        blob = self.bucket.get_blob(self._blob_name(name))
        if blob is None:
            return None
        generation = blob.generation
        try:
            # Pin the generation we saw, so bytes and version always belong together.
            return blob.download_as_bytes(if_generation_match=generation), str(generation)
        except NotFound:
            return None
        except PreconditionFailed as exc:  # rewritten between our two calls
            raise ModelError(f"model {name} changed while loading; will retry: {exc}") from exc

    def names(self) -> list[str]:
        return sorted(self.updated())

    def updated(self) -> dict[str, datetime]:
        blobs = self.bucket.client.list_blobs(self.bucket, prefix=self.prefix or None)
        return {b.name[len(self.prefix):]: b.updated for b in blobs}
