"""The spike benchmark's arithmetic: fairness of the order served, and per-key write budgets."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from scripts.embedded.spike_figures import fairness, key_kind, per_key_budget, units_per_ticket_by_kind


def test_first_come_first_served_is_perfectly_fair_and_the_reverse_is_not():
    arrivals = {f"b{i}": float(i) for i in range(50)}
    assert fairness(arrivals, {b: t + 10 for b, t in arrivals.items()}) == {
        "buyers": 50,
        "discordant_pairs": 0.0,
        "mean_displacement": 0.0,
        "max_overtaken_by": 0,
    }
    reverse = fairness(arrivals, {b: -t for b, t in arrivals.items()})
    assert reverse["discordant_pairs"] == 1.0 and reverse["max_overtaken_by"] == 49


def test_a_lottery_scores_about_one_half_and_only_buyers_who_completed_count():
    rng = random.Random(3)
    arrivals = {f"b{i}": float(i) for i in range(2000)}
    lottery = fairness(arrivals, {b: rng.random() for b in arrivals})
    assert 0.47 < lottery["discordant_pairs"] < 0.53 and 0.3 < lottery["mean_displacement"] < 0.37
    assert fairness(arrivals, {"b1": 1.0, "nobody": 0.0})["buyers"] == 1


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=40))
def test_discordant_pairs_equal_a_brute_force_count(completion_times):
    arrivals = {f"b{i}": float(i) for i in range(len(completion_times))}
    completions = dict(zip(arrivals, completion_times))
    order = sorted(arrivals, key=lambda b: (completions[b], b))
    rank = {b: r for r, b in enumerate(order)}
    brute = sum(1 for a, b in itertools.combinations(arrivals, 2) if rank[a] > rank[b])
    n = len(arrivals)
    assert fairness(arrivals, completions)["discordant_pairs"] == round(brute / (n * (n - 1) / 2), 4)


def test_the_busiest_second_of_each_key_is_held_against_the_budget():
    units = {("PERF#p1", 0): 300, ("PERF#p1", 1): 1200, ("HOLD#h1", 1): 2, ("QUEUE#p1#0", 0): 999}
    report = per_key_budget(units)
    assert report["max_units_per_second"] == 1200 and report["over_budget"] == ["PERF#p1"]
    assert [k["key"] for k in report["busiest"]] == ["PERF#p1", "QUEUE#p1#0", "HOLD#h1"]
    assert report["busiest"][0]["total_units"] == 1500
    assert per_key_budget({})["max_units_per_second"] == 0 and per_key_budget({})["over_budget"] == []


def test_keys_are_grouped_by_kind_and_the_busiest_key_of_a_kind_is_per_ticket():
    assert key_kind("PERF#p-1#HOLDS") == "PERF#…#HOLDS" and key_kind("HOLD#h_1") == "HOLD#…"
    assert units_per_ticket_by_kind({"PERF#a": 400, "PERF#b": 100, "HOLD#x": 4}, 100) == {"PERF#…": 4.0, "HOLD#…": 0.04}
