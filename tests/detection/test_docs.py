"""docs/detection.md keeps up with the code: every model and every robust_seasonal parameter is there."""

from __future__ import annotations

from pathlib import Path

from metricwatch.detection.models import create_model, model_names
from metricwatch.detection.models.base import get_params

DOC = Path(__file__).resolve().parents[2] / "docs" / "detection.md"


def test_every_registered_model_is_documented() -> None:
    text = DOC.read_text()
    assert [m for m in model_names() if f"`{m}`" not in text] == []


def test_every_robust_seasonal_train_param_is_documented() -> None:
    text = DOC.read_text()
    assert [p for p in get_params(create_model("robust_seasonal")) if f"`{p}`" not in text] == []


def test_the_pictures_the_doc_links_exist() -> None:
    for name in ("nab_machine_temperature_system_failure.png", "nab_ec2_request_latency_system_failure.png"):
        assert name in DOC.read_text() and (DOC.parent / name).stat().st_size > 10_000
