"""The embedded stack's first-come, first-served semaphore really bounds and really queues in order."""

from __future__ import annotations

import threading
import time

import pytest

from scripts.localaws.fairness import FairLock, FairSemaphore


def test_never_more_holders_than_permits():
    semaphore = FairSemaphore(3)
    inside, peak, guard = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal inside, peak
        for _ in range(50):
            with semaphore:
                with guard:
                    inside += 1
                    peak = max(peak, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert peak == 3 and inside == 0 and not semaphore.locked()


def test_waiters_are_served_in_arrival_order():
    lock = FairLock()
    lock.acquire()
    served: list[int] = []

    def wait_turn(number: int) -> None:
        with lock:
            served.append(number)

    threads = []
    for number in range(8):
        thread = threading.Thread(target=wait_turn, args=(number,))
        thread.start()
        threads.append(thread)
        while len(lock._waiters) < number + 1:  # make arrival order certain
            time.sleep(0.001)
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert served == list(range(8))


def test_releasing_more_than_acquired_is_an_error():
    semaphore = FairSemaphore(1)
    with pytest.raises(RuntimeError):
        semaphore.release()
    with pytest.raises(ValueError):
        FairSemaphore(0)


def _queue_in_order(lock: FairSemaphore, arrivals: list[tuple[str, bool]], served: list[str]) -> list[threading.Thread]:
    threads = []
    for name, background in arrivals:

        def wait_turn(name=name, background=background) -> None:
            lock.acquire(background=background)
            served.append(name)
            lock.release()

        thread = threading.Thread(target=wait_turn)
        thread.start()
        threads.append(thread)
        while len(lock._waiters) + len(lock._background) < len(threads):  # make arrival order certain
            time.sleep(0.001)
    return threads


def test_background_waiters_go_after_everyone_else_in_their_own_order():
    lock = FairSemaphore(1, background_patience=60)
    lock.acquire()
    served: list[str] = []
    threads = _queue_in_order(lock, [("b1", True), ("a1", False), ("b2", True), ("a2", False)], served)
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert served == ["a1", "a2", "b1", "b2"]


def test_a_background_waiter_past_its_patience_goes_first():
    lock = FairSemaphore(1, background_patience=0.05)
    lock.acquire()
    served: list[str] = []
    threads = _queue_in_order(lock, [("b1", True), ("a1", False)], served)
    time.sleep(0.1)
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert served == ["b1", "a1"]
