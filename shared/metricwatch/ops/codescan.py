"""Which settings a function's code reads, found statically from its `main.py`.

Settings reach code only as attributes of the `Settings` object
(`settings.mongo_url`), so following `metricwatch` imports from `main.py` and
collecting those attribute names gives the settings a function can read, without
importing anything. The infra tests compare this with the function's manifest.

A guard setting is checked by `load_settings` itself rather than read as an
attribute; it counts as read wherever the setting it guards is.
"""

from __future__ import annotations

import ast
from pathlib import Path

from metricwatch.config import SETTINGS

PACKAGE = "metricwatch"
# guard => guarded: REQUIRE_PUSH_TOKENS=true makes an empty PUSH_TOKENS a ConfigError at load time.
GUARDS = {"REQUIRE_PUSH_TOKENS": "PUSH_TOKENS"}


def module_file(package_root: Path, module: str) -> Path | None:
    """`metricwatch.a.b` -> package_root/a/b.py or package_root/a/b/__init__.py."""
    parts = module.split(".")[1:]
    base = package_root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST) -> set[str]:
    """Absolute `metricwatch` modules named by any import, nested ones included (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)  # may be submodules
    found: set[str] = set()
    for name in names:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))  # parents run too
    return found


def reachable_files(entry: Path, package_root: Path) -> list[Path]:
    """`entry` and every file of the package it imports, transitively."""
    seen: dict[Path, None] = {entry: None}
    queue = [entry]
    while queue:
        tree = ast.parse(queue.pop().read_text())
        for module in sorted(_imports(tree)):
            path = module_file(package_root, module)
            if path is not None and path not in seen:
                seen[path] = None
                queue.append(path)
    return list(seen)


def settings_read(entry: Path, package_root: Path) -> set[str]:
    """Env names of the settings whose attribute is read anywhere `entry` reaches."""
    by_attr = {s.env.lower(): s.env for s in SETTINGS}
    read: set[str] = set()
    for path in reachable_files(entry, package_root):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in by_attr:
                read.add(by_attr[node.attr])
    return read | {guard for guard, guarded in GUARDS.items() if guarded in read}


def cloud_required() -> set[str]:
    """Settings whose default only makes sense on a laptop: empty (in-memory store, no
    token check) or a local `file://` path. A deployed function reading one must set it."""
    return {s.env for s in SETTINGS if s.default == "" or s.default.startswith("file://")}
