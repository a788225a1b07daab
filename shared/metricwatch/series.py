"""Series identity: a metric name plus a label set, in one canonical form.

The same canonical form names a series in MongoDB (`meta.series`) and names
its model object in the bucket, so a label set always maps to one series and
one model file, whatever order the caller wrote the labels in.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Mapping
from urllib.parse import quote

Labels = Mapping[str, str]
# Object names must fit GCS (1024 bytes) and file systems (255 bytes per name).
MAX_LABEL_PART = 160


def canonical_labels(labels: Labels | None) -> dict[str, str]:
    """Labels sorted by key: equal label sets compare equal in MongoDB too."""
    return dict(sorted((labels or {}).items()))


# json.dumps with these options builds this very encoder on every call; a push keys 1,000 series.
_KEY = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def series_id(name: str, labels: Labels | None) -> str:
    """A stable string key for (name, labels); injective because it is JSON."""
    return _KEY([name, canonical_labels(labels)])


def labels_part(labels: Labels | None) -> str:
    """`k1=v1,k2=v2` sorted by key, each key and value percent-encoded.

    Only `A-Z a-z 0-9 - . _ ~` stay as they are; `=`, `,`, `/`, `%` and any
    other character are escaped, so the separators are unambiguous and two
    different label sets can never give the same text.
    """
    return ",".join(f"{_escaped(k)}={_escaped(v)}" for k, v in canonical_labels(labels).items())


@functools.lru_cache(maxsize=65536)
def _escaped(text: str) -> str:
    """`quote` remembered: a push over 1,000 series names 1,000 models, and quote was most of naming one."""
    return quote(text, safe="")


def model_object_name(metric_name: str, model_name: str, labels: Labels | None) -> str:
    """`{metric_name}_{model_name}_{metric_labels}.joblib`, the original app's template.

    The label part is omitted for a series without labels. Metric names cannot
    contain `=`, and a non-empty label part always does, so a labelled and an
    unlabelled series never collide either. A label part longer than
    `MAX_LABEL_PART` characters is replaced by `~` and its SHA-256: still one
    name per label set, and `~` + hex (no `=`) cannot be a real label part.
    """
    part = labels_part(labels)
    if len(part) > MAX_LABEL_PART:
        part = "~" + hashlib.sha256(part.encode()).hexdigest()
    return f"{metric_name}_{model_name}_{part}.joblib" if part else f"{metric_name}_{model_name}.joblib"
