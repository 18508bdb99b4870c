"""What the embedded stack learns of a DynamoDB item deleted in moto, as a stream consumer would on AWS.

The local outbox keeps copies of sent mail (SES keeps none), so a buyer's erasure must reach it: it watches
the customer table here instead of product code telling it. A watcher gets each deleted item's attributes
(moto's typed values) in the moto server process, under its lock, after the delete took effect.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from . import patching

# What the patch wraps, as last reviewed (see dynamodb.UPSTREAM): it returns the deleted item or None.
UPSTREAM = {
    "moto.dynamodb.models:DynamoDBBackend.delete_item": "a03a3f819a3f4344",
}

Watcher = Callable[[dict[str, Any]], None]
_WATCHERS: dict[str, Watcher] = {}


def watch(table_name: str, on_deleted: Watcher) -> None:
    """From now on, `on_deleted(attributes)` follows every item deleted from `table_name`."""
    _WATCHERS[table_name] = on_deleted
    patching.replace(DynamoDBBackend, "delete_item", _telling)


def unwatch(table_name: str) -> None:
    _WATCHERS.pop(table_name, None)
    if not _WATCHERS:
        patching.restore(DynamoDBBackend, "delete_item")


def _telling(delete_item: Any) -> Any:
    @functools.wraps(delete_item)
    def delete_and_tell(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        deleted = delete_item(self, table_name, *args, **kwargs)  # the item that was there, None if none
        watcher = _WATCHERS.get(table_name)
        if watcher is not None and deleted is not None:
            watcher(deleted.attrs)
        return deleted

    return delete_and_tell
