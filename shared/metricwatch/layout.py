"""What counts as a function in a checkout: every directory of `functions/` that has a `main.py`.

Terraform's `fileset("functions/*/main.py")` uses the same rule; the local runner,
the schedule check and packaging all ask here, so the rule lives in one place.
"""

from __future__ import annotations

from pathlib import Path


def function_dirs(functions_root: str | Path) -> list[Path]:
    return sorted(p.parent for p in Path(functions_root).glob("*/main.py"))


def function_names(functions_root: str | Path) -> list[str]:
    return [p.name for p in function_dirs(functions_root)]
