"""First-come, first-served admission for the embedded stack's servers.

`threading.Lock`/`Semaphore` let a releasing thread take the permit again ahead of waiters, and
dozens of threads competing for one GIL starve some of them; under a burst that showed as
multi-second tails. These hand permits to the longest waiter.
"""

from __future__ import annotations

import collections
import threading
import time


class FairSemaphore:
    """At most `permits` holders at once; waiters are served in arrival order.

    A waiter may say it is `background` work (nobody waits on its answer right now): such
    waiters are served after every other waiter, in their own arrival order, unless one has
    waited `background_patience` seconds, which then goes first (so background work is slowed
    by a burst, never starved by it).
    """

    def __init__(self, permits: int = 1, background_patience: float = 1.0) -> None:
        if permits < 1:
            raise ValueError("permits must be at least 1")
        self._guard = threading.Lock()
        self._waiters: collections.deque[threading.Lock] = collections.deque()
        self._background: collections.deque[tuple[float, threading.Lock]] = collections.deque()
        self._free = permits
        self.permits = permits
        self.background_patience = background_patience

    def acquire(self, background: bool = False) -> bool:
        with self._guard:
            if self._free and not self._waiters and not self._background:
                self._free -= 1
                return True
            turn = threading.Lock()
            turn.acquire()
            if background:
                self._background.append((time.monotonic(), turn))
            else:
                self._waiters.append(turn)
        turn.acquire()  # released by a holder that hands its permit over
        return True

    def release(self) -> None:
        with self._guard:
            if self._background and (
                not self._waiters or time.monotonic() - self._background[0][0] >= self.background_patience
            ):
                self._background.popleft()[1].release()  # the permit passes on without being freed
            elif self._waiters:
                self._waiters.popleft().release()
            elif self._free < self.permits:
                self._free += 1
            else:
                raise RuntimeError("release without acquire")

    def locked(self) -> bool:
        """True when no permit is free (for a one-permit semaphore: the lock is held)."""
        return self._free == 0

    def __enter__(self) -> FairSemaphore:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def FairLock() -> FairSemaphore:  # noqa: N802 - reads like threading.Lock()
    """A first-come, first-served mutual-exclusion lock."""
    return FairSemaphore(1)
