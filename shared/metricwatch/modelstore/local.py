"""`file://` model store: a directory, for local runs and tests."""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path


class FileModelStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.url = f"file://{self.root}"

    def _path(self, name: str) -> Path:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"bad model object name {name!r}")
        return self.root / name

    def save(self, name: str, data: bytes) -> None:
        """Write to a temporary file and rename, so a reader never sees half a model."""
        path = self._path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    @staticmethod
    def _version(st: os.stat_result) -> str:
        return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"

    def version(self, name: str) -> str | None:
        try:
            return self._version(self._path(name).stat())
        except FileNotFoundError:
            return None

    def load(self, name: str) -> tuple[bytes, str] | None:
        """Bytes and the version of the very file read (fstat), even if a retrain replaces it meanwhile."""
        try:
            with self._path(name).open("rb") as fh:
                return fh.read(), self._version(os.fstat(fh.fileno()))
        except FileNotFoundError:
            return None

    def names(self) -> list[str]:
        return sorted(self.updated())

    def updated(self) -> dict[str, datetime]:
        if not self.root.is_dir():
            return {}
        out = {}
        for path in self.root.iterdir():
            if path.name.startswith(".tmp-"):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # removed since the listing
                continue
            if stat.S_ISREG(st.st_mode):
                out[path.name] = datetime.fromtimestamp(st.st_mtime, timezone.utc)
        return out
