"""Rate-limit counters: one item per client and window, counted with one conditional update.

`RATE#{kind}#{client}` / `WINDOW#{n}`: the update adds 1 only while the count is under the limit,
so concurrent calls on any number of Lambda instances never let more than the limit through,
and a refused call costs no count. DynamoDB's TTL (`ttl`) removes windows that have ended.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError

from ..domain.limits import Window
from .models import TableItem


class RateCounterItem(TableItem):
    hits = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


def take(kind: str, client: str, window: Window, limit: int) -> bool:
    """Count one call of `client` in `window`; False (and nothing counted) once `limit` calls were counted."""
    item = RateCounterItem(f"RATE#{kind}#{client}", f"WINDOW#{window.number}")
    try:
        item.update(
            actions=[RateCounterItem.hits.add(1), RateCounterItem.ttl.set(window.expires_at)],
            condition=RateCounterItem.hits.does_not_exist() | (RateCounterItem.hits < limit),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
