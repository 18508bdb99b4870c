"""Which AWS calls of the embedded stack are background work, for moto's lock to serve last.

On AWS a buyer's hold does not queue behind the checkout workflows, the queue consumers or the
sweeper: DynamoDB serves them all at once. Locally every call waits for moto's one lock, so a
burst of checkouts (~100 moto requests per order) would sit in front of the buyers' holds.
Work that nobody is waiting on at that moment — workflow tasks, queue consumers, the sweeper,
the snapshotter — marks its requests with a header; moto's lock serves them after the others
unless one has waited its patience (see `scripts.localaws.fairness.FairSemaphore`), so they are slowed by a
burst, never starved. The mark is per thread: the thread that runs such work says so.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from scripts.localaws import botocore_hooks
from scripts.localaws.priority import BACKGROUND_HEADER as HEADER
from scripts.localaws.priority import is_background

_state = threading.local()
_installed = False
_install_lock = threading.Lock()


def active() -> bool:
    return getattr(_state, "depth", 0) > 0


@contextlib.contextmanager
def work() -> Iterator[None]:
    """Mark every AWS request this thread sends meanwhile as background work."""
    install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def install() -> None:
    """Add the header to botocore's requests from marked threads (PynamoDB's too). Idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        botocore_hooks.on_send(_mark)
        _installed = True


def _mark(request) -> None:
    if active():
        request.headers[HEADER] = "1"


__all__ = ["HEADER", "active", "install", "is_background", "work"]
