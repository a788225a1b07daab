"""Which modules a function can import, found statically from its `main.py`: what it must ship.

`codescan.reachable_files` follows every import, lazy ones included, which is right for the
settings a function may read but too coarse for its dependencies: the runtime builds the
detector (numpy, joblib, scikit-learn) only when a handler asks for `runtime.detector`, and query
never does. So this scan follows imports the way they run:

- a module's top-level imports run when it is imported (those under `if TYPE_CHECKING:` never);
- an import inside a function runs only if the function can be called, which needs its name:
  a module-level function is live once some live code names it, a method once some live code
  reads an attribute of that name. Names are matched without types, so the answer errs on the
  side of shipping too much, never too little; dunder methods (`__init__`, `__call__`) are live
  wherever their module is;
- every function of `main.py` is live (the framework calls its target by name);
- a registry string `"metricwatch.a.b:Class"` (the model registry) imports its module.

`tests/test_requirements.py` checks each function's requirements against this, so a function
ships the packages its live code imports and nothing else.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

from metricwatch.ops.codescan import module_file

PACKAGE = "metricwatch"
REGISTRY_ENTRY = re.compile(rf"({PACKAGE}(?:\.\w+)+):\w+")


@dataclass
class _Scope:
    """What a body does when it runs: the modules it imports and the names it reads."""

    file: Path
    imports: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)


@dataclass
class _Module:
    top: _Scope
    functions: dict[str, list[_Scope]]  # module-level functions (and nested ones), by name
    methods: dict[str, list[_Scope]]  # methods of its classes, by name


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
        or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Reader(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.module = _Module(_Scope(path), {}, {})
        self.scope = self.module.top
        self.in_class = False

    def _body(self, node: ast.AST, scope: _Scope, in_class: bool) -> None:
        outer, outer_class = self.scope, self.in_class
        self.scope, self.in_class = scope, in_class
        for child in node.body:
            self.visit(child)
        self.scope, self.in_class = outer, outer_class

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)  # evaluated where the function is defined
        table = self.module.methods if self.in_class else self.module.functions
        scope = _Scope(self.path)
        table.setdefault(node.name, []).append(scope)
        self._body(node, scope, in_class=False)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._body(node, self.scope, in_class=True)  # a class body runs where the class is defined

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.scope.imports.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.scope.imports.add(node.module)
            self.scope.imports.update(f"{node.module}.{alias.name}" for alias in node.names)  # may be modules

    def visit_Name(self, node: ast.Name) -> None:
        self.scope.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.scope.attributes.add(node.attr)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.scope.imports.update(m.group(1) for m in REGISTRY_ENTRY.finditer(node.value))


def _read(path: Path) -> _Module:
    reader = _Reader(path)
    reader.visit(ast.parse(path.read_text()))
    return reader.module


def _own(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def live_imports(entry: Path, package_root: Path) -> dict[str, Path]:
    """Every module name (ours and others') that running `entry` can import, with a file importing it."""
    modules: dict[Path, _Module] = {}
    imported: dict[str, Path] = {}
    names: set[str] = set()
    attributes: set[str] = set()
    done: set[int] = set()
    entry_module = modules[entry] = _read(entry)
    names |= entry_module.functions.keys()  # the function's target, called by name by the framework
    pending: list[Path] = []
    changed = True
    while changed:
        changed = False
        while pending:
            path = pending.pop()
            if path not in modules:
                modules[path] = _read(path)
        scopes = [m.top for m in modules.values()]
        for module in modules.values():
            scopes += [s for name in names & module.functions.keys() for s in module.functions[name]]
            called = attributes | {n for n in module.methods if n.startswith("__")}  # dunders run implicitly
            scopes += [s for name in called & module.methods.keys() for s in module.methods[name]]
        for scope in scopes:
            if id(scope) in done:
                continue
            done.add(id(scope))
            changed = True
            names |= scope.names
            attributes |= scope.attributes
            for name in scope.imports - imported.keys():
                imported[name] = scope.file
                if _own(name):
                    parts = name.split(".")
                    for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b too
                        path = module_file(package_root, ".".join(parts[:i]))
                        if path is not None and path not in modules:
                            pending.append(path)
                            changed = True
    return imported


@lru_cache(maxsize=1)
def _owners() -> dict[str, str]:
    """Installed file (resolved) -> the distribution that installed it."""
    owners: dict[str, str] = {}
    for dist in metadata.distributions():
        for file in dist.files or []:
            if file.suffix in (".py", ".so", ".pyd") or file.name == "__init__.py":
                owners[str(Path(dist.locate_file(file)).resolve())] = dist.metadata["Name"]
    return owners


def distribution_of(module: str) -> str | None:
    """The installed distribution a module comes from; None for the standard library or unknown."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or _own(module):
        return None
    try:
        spec = util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = spec.origin if spec.origin not in (None, "namespace") else None
    if origin is None:  # a namespace package (google, opentelemetry): its modules say who installed them
        return None
    return _owners().get(str(Path(origin).resolve()))


def distributions(entry: Path, package_root: Path) -> dict[str, Path]:
    """The distributions `entry`'s live code imports (what the function must ship), with a file importing each."""
    found: dict[str, Path] = {}
    for name, file in sorted(live_imports(entry, package_root).items()):
        dist = None if _own(name) else distribution_of(name)
        if dist:
            found.setdefault(dist, file)
    return found
