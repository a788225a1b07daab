"""Pin every install at the versions the test suite ran with, with the hashes of their files.

    PYTHONPATH=shared .venv/bin/python -m metricwatch.ops.lock   # what `make lock` runs

A function's `requirements.txt` is written whole from two facts:
- what its code imports (`ops/imports.py`: the live import graph of its `main.py`), so query
  ships no scikit-learn because nothing it runs imports it;
- the versions installed in the tested virtualenv, and below `MARKER` the packages those pull in
  (markers evaluated for this interpreter and platform: Cloud Functions' python311 on Linux).

Every pin carries the sha256 of each file PyPI holds for that version that Cloud Functions
could install (the sdist, and wheels for CPython 3.11 on Linux x86_64), so pip runs in
hash-checking mode: Cloud Build installs exactly the tested files, or fails. The dev and checkov
sets (`requirements-dev.txt`, `requirements-checkov.txt`, pinned by hand) get their hashes the
same way, and `make venv` installs them with `--require-hashes`. Hashes come from an index's
JSON simple API (PEP 691): PyPI's, or `make lock INDEX=<url>`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

MARKER = "# Pulled in by the above, pinned to the tested versions (make lock):"
PIN = re.compile(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
# Used only by `make run` and the tests (the in-memory store); a deployed function has MONGO_URL.
LOCAL_ONLY = {"mongomock"}
HEADER = ("# What functions/{name} imports (the live import graph of its main.py, metricwatch/ops/imports.py),\n"
          "# pinned at the tested versions with the hashes of their files. Written by `make lock`: do not edit.")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(text: str) -> list[str]:
    """The requirement lines of a requirements file: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pins(text: str) -> dict[str, tuple[str, list[str]]]:
    """canonical name -> (version, its sha256 hashes), for every line; a line not pinned is an error."""
    out: dict[str, tuple[str, list[str]]] = {}
    for line in requirement_lines(text):
        spec, *options = line.split(" --hash=")
        match = PIN.fullmatch(spec.strip())
        if not match:
            raise ValueError(f"{spec!r} is not pinned as name==version")
        out[canonical(match.group(1))] = (match.group(3), HASH.findall(line))
    return out


def direct(text: str) -> list[str]:
    """The pins above the marker, as `name==version`: what the function's code itself imports."""
    head = text.split(MARKER, 1)[0]
    return [f"{name}=={version}" for name, (version, _) in pins(head).items()]


def closure(lines: list[str]) -> dict[str, str]:
    """Every package (canonical name -> installed version) the given requirements pull in."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(line) for line in lines]
    while todo:
        req = todo.pop()
        key = (canonical(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(req.name)
        found[key[0]] = dist.version
        environments = [{**default_environment(), "extra": extra} for extra in (req.extras or {""})]
        for raw in dist.requires or []:
            sub = Requirement(raw)
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append(sub)
    return found


def _installable(filename: str) -> bool:
    """An sdist, or a wheel pip could pick on Cloud Functions' python311 (Linux, x86_64)."""
    if filename.endswith((".tar.gz", ".zip")):
        return True
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return bool(tags & _target_tags())


@lru_cache(maxsize=1)
def _target_tags() -> frozenset:
    """The wheel tags CPython 3.11 on Linux x86_64 accepts (abi3 wheels of older CPythons too), for
    any glibc: which one Cloud Build picks is its business, each one it can pick is hashed."""
    from packaging.tags import compatible_tags, cpython_tags

    platforms = ["linux_x86_64", "manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64",
                 *(f"manylinux_2_{minor}_x86_64" for minor in range(5, 40))]
    return frozenset([*cpython_tags((3, 11), platforms=platforms), *compatible_tags((3, 11), platforms=platforms)])


INDEX = "https://pypi.org/simple"


@lru_cache(maxsize=None)
def file_hashes(name: str, version: str, index: str = INDEX) -> tuple[str, ...]:
    """sha256 of every installable file of `name==version` on the index (PEP 691 JSON)."""
    index = index.rstrip("/")
    request = urllib.request.Request(f"{index}/{canonical(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    found = []
    for file in files:
        filename = file["filename"]
        if _version_of(filename, name) == version and _installable(filename) and "sha256" in file["hashes"]:
            found.append(file["hashes"]["sha256"])
    if not found:
        raise RuntimeError(f"{name}=={version}: no installable file on {index}")
    return tuple(sorted(found))


def _version_of(filename: str, name: str) -> str | None:
    stem = filename[:-7] if filename.endswith(".tar.gz") else filename.rsplit(".", 1)[0]
    parts = stem.split("-")
    if filename.endswith(".whl"):
        return parts[1] if len(parts) >= 5 else None
    prefix = canonical(name)
    for i in range(1, len(parts)):
        if canonical("-".join(parts[:i])) == prefix:
            return "-".join(parts[i:])
    return None


def _display(name: str) -> str:
    try:
        return metadata.distribution(name).metadata["Name"]
    except metadata.PackageNotFoundError:
        return name


def pinned(name: str, version: str, index: str, extras: str = "") -> str:
    hashes = " \\\n".join(f"    --hash=sha256:{h}" for h in file_hashes(name, version, index))
    return f"{_display(name)}{extras}=={version} \\\n{hashes}"


def function_requirements(function_dir: Path, package_root: Path, index: str = INDEX) -> str:
    """A function's whole requirements file: what its code imports, then what that pulls in."""
    from metricwatch.ops.imports import distributions

    imported = sorted(canonical(d) for d in distributions(function_dir / "main.py", package_root))
    mine = {name: metadata.distribution(name).version for name in imported if name not in LOCAL_ONLY}
    pulled = {n: v for n, v in closure([f"{n}=={v}" for n, v in mine.items()]).items() if n not in mine}
    head = [pinned(n, v, index) for n, v in mine.items()]
    tail = [pinned(n, v, index) for n, v in sorted(pulled.items())]
    return "\n".join([HEADER.format(name=function_dir.name), *head, MARKER, *tail]) + "\n"


def hashed(text: str, index: str = INDEX) -> str:
    """A hand-pinned file (dev, checkov) with each pin's hashes (re)written; comments kept."""
    out = []
    for line in re.sub(r" *\\\n\s*--hash=\S+", "", text).splitlines():
        match = PIN.fullmatch(line.strip())
        out.append(pinned(match.group(1), match.group(3), index, match.group(2) or "") if match else line)
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="metricwatch.ops.lock", description="write the hashed requirements files")
    parser.add_argument("root", nargs="?", type=Path, default=Path("."))
    parser.add_argument("--index", default=INDEX, help="a PEP 691 simple index (default: PyPI)")
    args = parser.parse_args(argv)
    package_root = args.root / "shared" / "metricwatch"
    writes = {path: function_requirements(path.parent, package_root, args.index)
              for path in sorted(args.root.glob("functions/*/requirements.txt"))}
    writes.update({args.root / name: hashed((args.root / name).read_text(), args.index)
                   for name in ("requirements-dev.txt", "requirements-checkov.txt")})
    for path, new in writes.items():
        if path.read_text() != new:
            path.write_text(new)
            print(f"locked {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
