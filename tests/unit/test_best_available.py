"""Best available: contiguous blocks near the focus, aisles, fallbacks, wheelchair places (its speed:
`scripts/bench best-available`)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.best_available import ADJACENT_GAP, choose_best_available
from chalicelib.domain.errors import NotEnoughSeats, ValidationFailed
from chalicelib.domain.seatmap import FORMAT, SeatKind, SeatMap, parse_seatmap
from scripts.embedded.demo_seatmaps import grote_zaal, kleine_zaal, standing_venue, test_hall

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def layout(*rows: str, categories: tuple[str, ...] = (), focus=None, sections: tuple[str, ...] = ()) -> SeatMap:
    """A hall drawn as text: one string per row (front first), one character per x position.

    S standard, R restricted view, W wheelchair, C companion of the W right next to it; a space is
    no seat (so one space makes a 2-unit gap: an aisle). Seat ids are row letter + x + 1 ("A1").
    `categories` draws each seat's category the same way (default A); `sections` names each row's section.
    """
    seats = []
    for r, line in enumerate(rows):
        for x, kind in enumerate(line):
            if kind == " ":
                continue
            seat_id = f"{LABELS[r]}{x + 1}"
            partner = None
            if kind == "C":
                partner = f"{LABELS[r]}{x}" if x > 0 and line[x - 1] == "W" else f"{LABELS[r]}{x + 2}"
            seats.append(
                {
                    "id": seat_id,
                    "section": sections[r] if sections else "zaal",
                    "row": LABELS[r],
                    "number": x + 1,
                    "x": x,
                    "y": r,
                    "category": categories[r][x] if categories else "A",
                    "kind": {"S": "standard", "R": "standard", "W": "wheelchair", "C": "companion"}[kind],
                    "companion_of": partner,
                    "restricted_view": kind == "R",
                }
            )
    return parse_seatmap(
        {
            "format": FORMAT,
            "name": "Getekende zaal",
            "categories": [{"code": code, "name": {"nl": code}} for code in "ABC"],
            "sections": [{"id": s, "name": {"nl": s}} for s in dict.fromkeys(sections or ("zaal",))],
            "focus": focus,
            "seats": seats,
        }
    )


def everything(seatmap: SeatMap) -> set[str]:
    return {seat.id for seat in seatmap.seats}


def refusal_fields(error) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in error.errors]


# --------------------------------------------------------------------------- single blocks


def test_best_block_is_centred_on_the_default_focus():
    seatmap = parse_seatmap(test_hall(10, 10))  # focus: x 4.5, front row
    assert choose_best_available(seatmap, everything(seatmap), 4) == [f"zaal-A-{n}" for n in (4, 5, 6, 7)]
    assert choose_best_available(seatmap, everything(seatmap), 1) == ["zaal-A-5"]  # tie: the leftmost


def test_best_block_is_centred_on_a_given_focus():
    doc = test_hall(10, 10)
    doc["focus"] = {"x": 8, "y": 5}
    seatmap = parse_seatmap(doc)
    assert choose_best_available(seatmap, everything(seatmap), 3) == ["zaal-F-8", "zaal-F-9", "zaal-F-10"]


def test_taken_seats_are_skipped():
    seatmap = parse_seatmap(test_hall(10, 10))
    free = everything(seatmap) - {"zaal-A-5", "zaal-A-6"}
    # Row A still has blocks of 4 (A-1… …A-10), but centred in row B is closer to the focus.
    assert choose_best_available(seatmap, free, 4) == [f"zaal-B-{n}" for n in range(4, 8)]
    assert choose_best_available(seatmap, free, 2) == ["zaal-B-5", "zaal-B-6"]
    assert choose_best_available(seatmap, free, 5) == [f"zaal-B-{n}" for n in range(3, 8)]


def test_restricted_view_is_avoided_when_possible():
    seatmap = layout("RRRRRR", "SSSSSS")
    assert choose_best_available(seatmap, everything(seatmap), 2) == ["B3", "B4"]
    # … and kept to a minimum when not.
    seatmap = layout("RSSR", " RR ")
    assert choose_best_available(seatmap, everything(seatmap), 3) == ["A1", "A2", "A3"]


def test_an_aisle_splits_blocks():
    seatmap = layout("SSS SSS", "SSSSSSSS")
    # Row A has 6 free seats, but not 4 adjacent ones: the aisle is 2 units wide.
    assert choose_best_available(seatmap, everything(seatmap), 4) == ["B3", "B4", "B5", "B6"]
    # Without row B, four seats in row A are two blocks, one on each side of the aisle.
    seatmap = layout("SSS SSS", focus={"x": 3, "y": 0})
    assert choose_best_available(seatmap, everything(seatmap), 3) == ["A1", "A2", "A3"]  # a tie: leftmost
    result = choose_best_available(seatmap, everything(seatmap), 4)
    assert len(result) == 4 and {"A1", "A2", "A3"} & set(result) and {"A5", "A6", "A7"} & set(result)


def test_a_gap_of_one_and_a_half_is_still_adjacent():
    seats = [
        {"id": f"s{i}", "section": "zaal", "row": "A", "number": i + 1, "x": x, "y": 0, "category": "A"}
        for i, x in enumerate([0, 1, 2.5, 3.5, 5.5])
    ]
    seatmap = parse_seatmap(
        {
            "format": FORMAT,
            "name": "Z",
            "categories": [{"code": "A", "name": {"nl": "A"}}],
            "sections": [{"id": "zaal", "name": {"nl": "Zaal"}}],
            "seats": seats,
        }
    )
    assert ADJACENT_GAP == 2.5 - 1
    assert choose_best_available(seatmap, everything(seatmap), 4) == ["s0", "s1", "s2", "s3"]
    # A gap of 2.0 is an aisle: five seats only fit as two blocks.
    assert choose_best_available(seatmap, everything(seatmap), 5) == ["s0", "s1", "s2", "s3", "s4"]
    assert choose_best_available(seatmap, everything(seatmap) - {"s0"}, 4) == ["s1", "s2", "s3", "s4"]


def test_wheelchair_seats_break_a_run_of_standard_seats():
    seatmap = layout("SSWCSS", "SSSSSSSSSS")
    assert choose_best_available(seatmap, everything(seatmap), 3) == ["B4", "B5", "B6"]


# --------------------------------------------------------------------------- fallback: fewest blocks


def test_falls_back_to_the_fewest_blocks():
    seatmap = layout("SS SSS S SS")
    # Runs of 2, 3, 1 and 2: five seats fit in two blocks, the 3-block and the 2-block nearest to it.
    assert choose_best_available(seatmap, everything(seatmap), 5) == ["A1", "A2", "A4", "A5", "A6"]
    assert len(choose_best_available(seatmap, everything(seatmap), 8)) == 8


def test_fallback_prefers_neighbouring_rows_of_the_same_section():
    seatmap = layout("SSS", "SSS", "      SSS", sections=("links", "links", "rechts"), focus={"x": 4, "y": 0})
    assert choose_best_available(seatmap, everything(seatmap), 6) == ["A1", "A2", "A3", "B1", "B2", "B3"]


def test_fallback_prefers_the_next_row_over_a_far_one():
    seatmap = layout("SSSS", "S S S", "SSSS", "", "", "SSSS")
    free = everything(seatmap)
    # 6 seats: two blocks; A (closest to the stage) plus C (two rows back) beats A plus F.
    result = choose_best_available(seatmap, free, 6)
    assert result[:4] == ["A1", "A2", "A3", "A4"] and all(seat.startswith("C") for seat in result[4:])


def test_fallback_takes_a_longer_group_of_clean_rows_over_restricted_seats():
    seatmap = parse_seatmap(grote_zaal())
    result = choose_best_available(seatmap, everything(seatmap), 40)
    seats = [seatmap.seat(seat_id) for seat_id in result]
    assert len(set(result)) == 40
    assert not any(seat.restricted_view for seat in seats)
    assert len({seat.section for seat in seats}) == 1
    assert len({(seat.section, seat.row, seat.x > 20) for seat in seats}) == 3  # three blocks


# --------------------------------------------------------------------------- wheelchair places


def test_wheelchair_place_comes_with_its_companion():
    seatmap = parse_seatmap(kleine_zaal())
    free = everything(seatmap)
    assert choose_best_available(seatmap, free, 2, wheelchair=1) == ["zaal-L-1", "zaal-L-2"]
    assert choose_best_available(seatmap, free, 4, wheelchair=1) == [f"zaal-L-{n}" for n in (1, 2, 3, 4)]
    assert choose_best_available(seatmap, free, 4, wheelchair=2) == [f"zaal-L-{n}" for n in (1, 2, 13, 14)]


def test_a_wheelchair_place_whose_companion_is_taken_is_not_offered():
    seatmap = parse_seatmap(kleine_zaal())
    free = everything(seatmap) - {"zaal-L-2"}
    assert choose_best_available(seatmap, free, 2, wheelchair=1) == ["zaal-L-13", "zaal-L-14"]
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, free - {"zaal-L-13"}, 2, wheelchair=1)
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, free, 4, wheelchair=2)


def test_count_must_hold_the_companions():
    seatmap = parse_seatmap(kleine_zaal())
    with pytest.raises(ValidationFailed) as refusal:
        choose_best_available(seatmap, everything(seatmap), 1, wheelchair=1)
    assert refusal_fields(refusal.value) == [("count", "count_too_small")]
    with pytest.raises(ValidationFailed) as refusal:
        choose_best_available(seatmap, everything(seatmap), 3, wheelchair=2)
    assert refusal_fields(refusal.value) == [("count", "count_too_small")]


def test_more_wheelchair_places_than_the_hall_has():
    seatmap = parse_seatmap(kleine_zaal())
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, everything(seatmap), 6, wheelchair=3)


def test_wheelchair_seat_without_companion():
    seatmap = layout("SSSSS", "WSSSS")
    assert choose_best_available(seatmap, everything(seatmap), 1, wheelchair=1) == ["B1"]
    assert choose_best_available(seatmap, everything(seatmap), 3, wheelchair=1) == ["B1", "B2", "B3"]


def test_companion_seats_and_wheelchair_seats_without_wheelchair_request():
    seatmap = layout("WCS", "WC ")
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, everything(seatmap), 2)
    assert choose_best_available(seatmap, everything(seatmap), 1) == ["A3"]


def test_a_place_without_companion_fits_a_tight_count():
    seatmap = layout("WCSS", "W   ")
    # count 2 with 2 wheelchair places: only possible without companions, but A1 brings A2.
    with pytest.raises(ValidationFailed):
        choose_best_available(seatmap, everything(seatmap), 2, wheelchair=2)
    assert choose_best_available(seatmap, everything(seatmap), 1, wheelchair=1) == ["B1"]
    assert choose_best_available(seatmap, everything(seatmap), 3, wheelchair=2) == ["A1", "A2", "B1"]


def test_companions_fill_in_when_standard_seats_run_out():
    seatmap = layout("WCWS", "W   ")
    free = everything(seatmap)
    # 2 places and count 3 with no standard seat free: exactly one place must bring its companion.
    result = choose_best_available(seatmap, free - {"A4"}, 3, wheelchair=2)
    assert result[:2] == ["A1", "A2"] and result[2] in ("A3", "B1")
    # With A4 free, two places without companion plus A4 would do as well; A3 and B1 are both alone.
    result = choose_best_available(seatmap, free, 3, wheelchair=2)
    assert len(result) == 3 and ("A2" in result) == ("A1" in result)


# --------------------------------------------------------------------------- categories, refusals


def test_category_filter():
    seatmap = parse_seatmap(grote_zaal())
    result = choose_best_available(seatmap, everything(seatmap), 4, category="C")
    assert {seatmap.seat(seat_id).category for seat_id in result} == {"C"}
    result = choose_best_available(seatmap, everything(seatmap), 2, wheelchair=1, category="C")
    assert {seatmap.seat(seat_id).kind for seat_id in result} == {SeatKind.WHEELCHAIR, SeatKind.COMPANION}
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, everything(seatmap), 2, wheelchair=1, category="A")


def test_category_counts_for_companions_too():
    seatmap = layout("WCS", categories=("ABA",))
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, everything(seatmap), 2, wheelchair=1, category="A")
    assert choose_best_available(seatmap, everything(seatmap), 2, wheelchair=1) == ["A1", "A2"]


def test_not_enough_seats():
    seatmap = parse_seatmap(test_hall(2, 3))
    with pytest.raises(NotEnoughSeats) as refusal:
        choose_best_available(seatmap, {"zaal-A-1", "zaal-B-3"}, 3)
    assert refusal.value.code == "not_enough_seats"
    with pytest.raises(NotEnoughSeats):
        choose_best_available(seatmap, set(), 1)


def test_unknown_free_ids_are_ignored():
    seatmap = parse_seatmap(test_hall(2, 3))
    assert choose_best_available(seatmap, ["elsewhere-1", "zaal-B-2"], 1) == ["zaal-B-2"]


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ({"count": 0}, [("count", "out_of_range")]),
        ({"count": -2}, [("count", "out_of_range")]),
        ({"count": True}, [("count", "invalid_type")]),
        ({"count": 2.0}, [("count", "invalid_type")]),
        ({"count": 2, "wheelchair": -1}, [("wheelchair", "out_of_range")]),
        ({"count": 2, "wheelchair": 3}, [("wheelchair", "out_of_range")]),
        ({"count": 2, "wheelchair": "1"}, [("wheelchair", "invalid_type")]),
        ({"count": 2, "category": "Z"}, [("category", "unknown_category")]),
        ({"count": 0, "category": "Z"}, [("count", "out_of_range"), ("category", "unknown_category")]),
    ],
)
def test_invalid_arguments(arguments, expected):
    seatmap = parse_seatmap(test_hall(3, 3))
    with pytest.raises(ValidationFailed) as refusal:
        choose_best_available(seatmap, everything(seatmap), **arguments)
    assert refusal_fields(refusal.value) == expected


def test_a_standing_venue_has_no_best_seats():
    with pytest.raises(ValidationFailed) as refusal:
        choose_best_available(parse_seatmap(standing_venue(100)), set(), 2)
    assert refusal_fields(refusal.value) == [("seatmap", "not_seated")]


def test_the_answer_does_not_depend_on_how_free_seats_are_given():
    seatmap = parse_seatmap(grote_zaal())
    ids = sorted(everything(seatmap))
    random.Random(4).shuffle(ids)
    free = ids[:300]
    expected = choose_best_available(seatmap, set(free), 7)
    assert choose_best_available(seatmap, free, 7) == expected
    assert choose_best_available(seatmap, tuple(reversed(free)), 7) == expected
    assert choose_best_available(seatmap, frozenset(free), 7) == expected


# --------------------------------------------------------------------------- properties


@st.composite
def halls(draw):
    """Random halls: 1–6 rows in 1–2 sections, random gaps (some aisles), wheelchair places, categories."""
    n_rows = draw(st.integers(1, 6))
    seats = []
    for r in range(n_rows):
        section = draw(st.sampled_from(["links", "rechts"]))
        x = draw(st.integers(-3, 3))
        kinds = draw(st.lists(st.sampled_from("SSSSSSRWP"), min_size=1, max_size=12))
        number = 0
        for kind in kinds:
            # P is a wheelchair seat with its companion on the right.
            for part in ("W", "C") if kind == "P" else (kind,):
                number += 1
                seat_id = f"{section}-{LABELS[r]}-{number}"
                seats.append(
                    {
                        "id": seat_id,
                        "section": section,
                        "row": LABELS[r],
                        "number": number,
                        "x": x,
                        "y": r,
                        "category": draw(st.sampled_from("AAB")),
                        "kind": {"S": "standard", "R": "standard", "W": "wheelchair", "C": "companion"}[part],
                        "companion_of": f"{section}-{LABELS[r]}-{number - 1}" if part == "C" else None,
                        "restricted_view": part == "R",
                    }
                )
                x += draw(st.sampled_from([1, 1, 1, 1, 1.25, 1.5, 2, 3]))
    doc = {
        "format": FORMAT,
        "name": "Willekeurige zaal",
        "categories": [{"code": "A", "name": {"nl": "A"}}, {"code": "B", "name": {"nl": "B"}}],
        "sections": [{"id": "links", "name": {"nl": "Links"}}, {"id": "rechts", "name": {"nl": "Rechts"}}],
        "focus": draw(st.none() | st.just({"x": 2, "y": -1})),
        "seats": seats,
    }
    return parse_seatmap(doc)


def free_runs(seatmap: SeatMap, eligible: set[str]) -> list[list[str]]:
    """Maximal stretches of adjacent eligible seats, per row (the oracle for 'one block')."""
    runs = []
    for row in seatmap.rows:
        current, previous = [], None
        for seat in row:
            if seat.id in eligible and (not current or seat.x - previous.x <= ADJACENT_GAP):
                current.append(seat.id)
            else:
                if current:
                    runs.append(current)
                current = [seat.id] if seat.id in eligible else []
            previous = seat
        if current:
            runs.append(current)
    return runs


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_best_available_properties(data):
    seatmap = data.draw(halls())
    ids = sorted(everything(seatmap))
    picked = set(data.draw(st.lists(st.sampled_from(ids), max_size=len(ids))))
    free = picked if data.draw(st.booleans()) else set(ids) - picked  # sparse or mostly free halls
    count = data.draw(st.integers(1, 8))
    wheelchair = data.draw(st.sampled_from([0, 0, 0, 1, 2]).filter(lambda w: w <= count))
    category = data.draw(st.sampled_from([None, None, "A", "B"]))

    def fits(seat) -> bool:
        return category is None or seat.category == category

    standard = {s.id for s in seatmap.seats if s.id in free and s.kind is SeatKind.STANDARD and fits(s)}
    places_alone = places_paired = free_alone = free_paired = 0
    for seat in seatmap.seats:
        if seat.kind is not SeatKind.WHEELCHAIR or not fits(seat):
            continue
        companion = seatmap.companion(seat.id)
        if companion is None:
            places_alone += 1
            free_alone += seat.id in free
        elif fits(companion):
            places_paired += 1
            free_paired += seat.id in free and companion.id in free

    if wheelchair == 0:
        expected = "ok" if len(standard) >= count else NotEnoughSeats
    elif places_alone + places_paired < wheelchair:
        expected = NotEnoughSeats
    elif count < wheelchair + max(0, wheelchair - places_alone):
        expected = ValidationFailed
    else:
        possible = any(
            c <= free_paired
            and wheelchair - c <= free_alone
            and wheelchair + c <= count
            and count - wheelchair - c <= len(standard)
            for c in range(wheelchair + 1)
        )
        expected = "ok" if possible else NotEnoughSeats

    if expected != "ok":
        with pytest.raises(expected):
            choose_best_available(seatmap, free, count, wheelchair=wheelchair, category=category)
        return
    result = choose_best_available(seatmap, free, count, wheelchair=wheelchair, category=category)
    seats = [seatmap.seat(seat_id) for seat_id in result]
    assert len(result) == count and len(set(result)) == count
    assert set(result) <= free
    assert all(fits(seat) for seat in seats)
    kinds = [seat.kind for seat in seats]
    assert kinds.count(SeatKind.WHEELCHAIR) == wheelchair
    for seat in seats:
        if seat.kind is SeatKind.WHEELCHAIR:
            companion = seatmap.companion(seat.id)
            assert companion is None or companion.id in result  # never split a place …
        if seat.kind is SeatKind.COMPANION:
            assert seat.companion_of in result  # … in either direction
    if wheelchair == 0:
        assert set(kinds) == {SeatKind.STANDARD}
        blocks = [run for run in free_runs(seatmap, standard) if len(run) >= count]
        if blocks:
            # One contiguous block in a single row: a stretch of one of those runs.
            assert any(result == run[i : i + count] for run in blocks for i in range(len(run) - count + 1))
    # Deterministic.
    assert choose_best_available(seatmap, sorted(free), count, wheelchair=wheelchair, category=category) == result
