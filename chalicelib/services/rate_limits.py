"""Rate limits: counting a client's calls per window, all Lambda instances together."""

from __future__ import annotations

import hashlib

from ..domain.limits import Window
from ..store import limits as store


def take(counter: str, client: str, window: Window, limit: int) -> bool:
    """Count one call of `client` (an address or a buyer session) on `counter` in `window`; False, and nothing
    counted, once `limit` calls were counted."""
    return store.take(counter, _digest(client), window, limit)


def _digest(value: str) -> str:
    # Counters never store an address or a session token as such.
    return hashlib.sha256(value.encode()).hexdigest()[:32]
