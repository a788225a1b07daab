"""`make package`: one zip per function directory, as Cloud Functions receives it.

Terraform zips the same directories itself (`archive_file` in infra/functions.tf,
same exclusions) at deploy time; these local zips are what the packaging test
installs and imports in a bare virtualenv, proving a function carries everything
it imports. Entries are sorted and dated 1980-01-01 so an unchanged function gives
a byte-identical zip.

    python -m metricwatch.ops.package functions build/functions
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Iterator, Sequence

from metricwatch.errors import ConfigError
from metricwatch.layout import function_dirs
from metricwatch.ops.manifest import FILENAME as MANIFEST

EXCLUDED_DIRS = {"__pycache__"}
EXCLUDED_NAMES = {MANIFEST}
EXCLUDED_SUFFIXES = {".pyc"}
VENDORED = ("metricwatch/__init__.py", "resources")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def package_files(function_dir: Path) -> Iterator[Path]:
    for path in sorted(function_dir.rglob("*")):
        rel = path.relative_to(function_dir)
        if path.is_file() and not EXCLUDED_DIRS & set(rel.parts) and rel.name not in EXCLUDED_NAMES \
                and path.suffix not in EXCLUDED_SUFFIXES:
            yield path


def build_zip(function_dir: Path, out_dir: Path) -> Path:
    """Zip one function; refuse if the shared package was not vendored into it first."""
    missing = [v for v in VENDORED if not (function_dir / v).exists()]
    if missing:
        raise ConfigError(f"{function_dir}: {missing} missing; run `make vendor` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{function_dir.name}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in package_files(function_dir):
            info = zipfile.ZipInfo(path.relative_to(function_dir).as_posix(), date_time=FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    functions_root, out_dir = Path(args[0] if args else "functions"), Path(args[1] if len(args) > 1 else "build/functions")
    try:
        for function_dir in function_dirs(functions_root):
            print(build_zip(function_dir, out_dir))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
