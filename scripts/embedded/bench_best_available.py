"""`scripts/bench best-available`: how long choosing the best seats takes in a 5,000-seat hall.

Pure domain code, no stack: the cost each best-available hold request pays before it writes.
Prints the best of `--repeat` runs per case against its target (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import random
import time

from chalicelib.domain.best_available import choose_best_available
from chalicelib.domain.seatmap import parse_seatmap

from .demo_seatmaps import test_hall


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def wheelchair_hall(rows: int, per_row: int):
    doc = test_hall(rows, per_row)
    for item in doc["seats"]:
        if item["number"] % 2 == 1:
            item["kind"] = "wheelchair"
        elif item["number"] % 4 == 2:
            item.update(kind="companion", companion_of=item["id"].rsplit("-", 1)[0] + f"-{item['number'] - 1}")
    return parse_seatmap(doc)


def cases():
    hall = parse_seatmap(test_hall(50, 100))
    everything = {seat.id for seat in hall.seats}
    chance = random.Random(7)
    fragmented = {seat.id for seat in hall.seats if chance.random() < 0.3}
    accessible = wheelchair_hall(50, 100)
    return [
        ("full hall, 4 seats", 0.05, lambda: choose_best_available(hall, everything, 4)),
        ("full hall, 10 seats", 0.05, lambda: choose_best_available(hall, everything, 10)),
        ("30% free, scattered, 10 seats", 0.2, lambda: choose_best_available(hall, fragmented, 10)),
        ("30% free, scattered, 99 seats", 0.3, lambda: choose_best_available(hall, fragmented, 99)),
        (
            "half wheelchair places, 10 seats with 3 wheelchair",
            0.2,
            lambda: choose_best_available(accessible, {s.id for s in accessible.seats}, 10, wheelchair=3),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"best available in a 5,000-seat hall (best of {args.repeat})")
    for name, target, run in cases():
        seconds = best_time(run, args.repeat)
        verdict = "ok" if seconds < target else "OVER TARGET"
        print(f"  {name:<52} {seconds * 1000:8.1f} ms   target < {target * 1000:.0f} ms   {verdict}")


if __name__ == "__main__":
    main()
