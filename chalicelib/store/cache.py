"""A small per-process cache with a time limit, for reads that may be a moment old."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")
_every: weakref.WeakSet[TtlCache] = weakref.WeakSet()


class TtlCache(Generic[Value]):
    """Remembers each key's value for `max_age` seconds; safe to share between threads."""

    def __init__(self, max_age: float, max_entries: int = 1024) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        self._lock = threading.Lock()
        _every.add(self)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def peek(self, key: Hashable) -> Value | None:
        """The key's value while it is fresh, else None (loads nothing)."""
        with self._lock:
            hit = self._entries.get(key)
        return hit[1] if hit is not None and time.monotonic() - hit[0] < self.max_age else None

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def get(self, key: Hashable, load: Callable[[], Value], born: float | None = None) -> Value:
        """The key's value, loaded when missing or stale. `born` (a `time.monotonic()`) dates a loaded value
        from then instead of from when its load ended: values loaded together then go stale together."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.max_age:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # bounded memory; a cold cache only costs reads
            self._entries[key] = (time.monotonic() if born is None else born, value)
        return value


def clear_all() -> None:
    """Forget every cache of this process (a process that plays several functions starts each one cold)."""
    for cache in list(_every):
        cache.clear()
