"""The in-memory store of local runs (and of the tests): mongomock, adapted to the pymongo we pin.

pymongo 4.11+ passes `sort` to a bulk builder's `add_update`/`add_replace`;
mongomock 4.3 predates it, so `bulk_write` with `UpdateOne` raises TypeError
there. `adapt_mongomock` accepts the argument when it is None (an unsorted
update, which is all mongomock ever did), so the code calls `bulk_write` as it
should on a real server. Nothing here is used when MONGO_URL is set.
"""

from __future__ import annotations

from typing import Any


def adapt_mongomock() -> None:
    import mongomock.collection

    builder = mongomock.collection.BulkOperationBuilder
    if getattr(builder, "_metricwatch_adapted", False):
        return
    for name in ("add_update", "add_replace"):
        original = getattr(builder, name)

        def adapted(self: Any, *args: Any, _original: Any = original, sort: Any = None, **kwargs: Any) -> Any:
            if sort is not None:
                raise NotImplementedError("mongomock cannot sort a bulk update")
            return _original(self, *args, **kwargs)

        setattr(builder, name, adapted)
    builder._metricwatch_adapted = True
