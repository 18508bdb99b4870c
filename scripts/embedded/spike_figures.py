"""Figures of `scripts/bench spike` that are plain arithmetic: fairness and per-key write budgets.

Kept apart from the benchmark's machinery so they are unit-tested (tests/unit/test_spike_figures.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

# DynamoDB: 1,000 write request units per second per partition (CONTRACTS.md); one partition key
# never spans partitions for writes, so this is each key's budget.
PARTITION_WRITE_BUDGET = 1000


def fairness(arrivals: Mapping[str, float], completions: Mapping[str, float]) -> dict:
    """How far the order in which buyers completed departs from the order in which they arrived.

    Over the buyers in both maps: `discordant_pairs` is the share of pairs served in the opposite
    order to their arrival (0 = strictly first come first served, 0.5 = a lottery), and
    `mean_displacement` is the mean |arrival rank - completion rank| as a share of the buyers
    (0 = none; a random order gives about 1/3). `max_overtaken_by` is the largest number of later
    arrivals that completed before one buyer.
    """
    buyers = sorted(set(arrivals) & set(completions), key=lambda b: (arrivals[b], b))
    n = len(buyers)
    if n < 2:
        return {"buyers": n, "discordant_pairs": 0.0, "mean_displacement": 0.0, "max_overtaken_by": 0}
    completion_rank = {b: r for r, b in enumerate(sorted(buyers, key=lambda b: (completions[b], b)))}
    ranks = [completion_rank[b] for b in buyers]  # completion ranks in arrival order
    discordant, overtaken = _inversions(ranks)
    return {
        "buyers": n,
        "discordant_pairs": round(discordant / (n * (n - 1) / 2), 4),
        "mean_displacement": round(sum(abs(a - c) for a, c in enumerate(ranks)) / n / n, 4),
        "max_overtaken_by": max(overtaken),
    }


def _inversions(values: list[int]) -> tuple[int, list[int]]:
    """Pairs i < j with values[i] > values[j], and for each i how many later j are smaller (merge sort)."""
    smaller_after = [0] * len(values)

    def sort(indexes: list[int]) -> tuple[list[int], int]:
        if len(indexes) <= 1:
            return indexes, 0
        middle = len(indexes) // 2
        left, a = sort(indexes[:middle])
        right, b = sort(indexes[middle:])
        merged, count, j = [], a + b, 0
        for i in left:
            while j < len(right) and values[right[j]] < values[i]:
                merged.append(right[j])
                j += 1
            smaller_after[i] += j
            count += j
            merged.append(i)
        merged.extend(right[j:])
        return merged, count

    _, total = sort(list(range(len(values))))
    return total, smaller_after


def per_key_budget(
    units_by_key_and_second: Mapping[tuple[str, int], float], budget: float = PARTITION_WRITE_BUDGET, top: int = 8
) -> dict:
    """The busiest partition keys by their busiest second, against the per-partition write budget.

    `units_by_key_and_second` maps (key, whole second) to write units written to that key in that second.
    """
    peak: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    for (key, _second), units in units_by_key_and_second.items():
        peak[key] = max(peak[key], units)
        total[key] += units
    ordered = sorted(peak, key=lambda key: (-peak[key], key))
    return {
        "budget_units_per_second": budget,
        "keys": len(peak),
        "max_units_per_second": max(peak.values(), default=0),
        "over_budget": [key for key in ordered if peak[key] > budget],
        "busiest": [
            {"key": key, "peak_units_per_second": peak[key], "total_units": total[key]} for key in ordered[:top]
        ],
    }


def key_kind(key: str) -> str:
    """A partition key without its ids (`PERF#p-1#HOLDS` -> `PERF#…#HOLDS`), to group keys of one kind."""
    return "#".join("…" if index % 2 else part for index, part in enumerate(key.split("#")))


def units_per_ticket_by_kind(units_by_key: Mapping[str, float], tickets: int) -> dict[str, float]:
    """Write units per ticket sold on the busiest single key of each kind of key."""
    busiest: dict[str, float] = defaultdict(float)
    for key, units in units_by_key.items():
        busiest[key_kind(key)] = max(busiest[key_kind(key)], units)
    return {kind: round(units / max(1, tickets), 2) for kind, units in sorted(busiest.items(), key=lambda kv: -kv[1])}


def group(values: Iterable[tuple[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for key, value in values:
        totals[key] += value
    return dict(totals)
