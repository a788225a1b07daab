"""infra/*.tf parsed with python-hcl2 into plain dicts, quotes stripped, for the infra tests.

python-hcl2 keeps HCL's quoting: a literal is '"python311"', an expression
'${local.functions}', and blocks are lists of dicts. `unquote` turns literals into
plain strings and leaves expressions as `${...}` text, which the tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
META = {"__is_block__", "__comments__"}


def unquote(value: Any) -> Any:
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k not in META}
    return value


def parse(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return hcl2.load(handle)


@dataclass
class Terraform:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)   # type -> name -> body
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, kind: str) -> dict[str, Any]:
        return self.resources.get(kind, {})


@lru_cache(maxsize=2)
def load(infra: Path = INFRA) -> Terraform:
    """Every block of every .tf file, merged by kind (cached: the files do not change during a run)."""
    model = Terraform()
    for path in sorted(infra.glob("*.tf")):
        doc = unquote(parse(path))
        for block in doc.get("resource", []):
            for kind, named in block.items():
                model.resources.setdefault(kind, {}).update(named)
        for block in doc.get("data", []):
            for kind, named in block.items():
                model.data.setdefault(kind, {}).update(named)
        for block in doc.get("locals", []):
            model.locals.update(block)
        for block in doc.get("variable", []):
            model.variables.update(block)
        for block in doc.get("output", []):
            model.outputs.update(block)
    return model


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block `name` of a resource body (hcl2 gives a one-item list)."""
    found = body[name]
    assert isinstance(found, list) and len(found) == 1, f"expected one {name} block, got {found!r}"
    return found[0]


def resolve(expr: str, model: Terraform) -> Path:
    """A path expression such as '${path.module}/../resources/x.json' as a real path."""
    functions_dir = model.locals["functions_dir"].replace("${path.module}", str(INFRA))
    return Path(expr.replace("${path.module}", str(INFRA)).replace("${local.functions_dir}", functions_dir)).resolve()
