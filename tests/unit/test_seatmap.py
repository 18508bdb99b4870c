"""The `podium.seatmap/1` format: every rule, every error code, round trips, and junk input."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import FieldError, SeatMapInvalid
from chalicelib.domain.seatmap import (
    FORMAT,
    MAX_ERRORS,
    Category,
    Point,
    Seat,
    SeatKind,
    SeatMap,
    Section,
    parse_seatmap,
)
from scripts.embedded.demo_seatmaps import grote_zaal, kleine_zaal, standing_venue, test_hall

NAMES = {"nl": "Zaal", "fr": "Salle", "en": "Hall"}


def seat(id_, row="A", number=1, x=0, y=0, section="zaal", category="A", **more):
    return {"id": id_, "section": section, "row": row, "number": number, "x": x, "y": y, "category": category, **more}


def small_map(**overrides):
    """A valid 3-row hall: row A with an aisle, row B, row C with a wheelchair place."""
    doc = {
        "format": FORMAT,
        "name": "Studio",
        "categories": [{"code": "A", "name": {"nl": "Categorie A"}}, {"code": "B", "name": {"nl": "Categorie B"}}],
        "sections": [{"id": "zaal", "name": dict(NAMES)}],
        "focus": {"x": 2, "y": 0},
        "seats": [
            seat("A-1", "A", 1, 0, 1),
            seat("A-2", "A", 2, 1, 1),
            seat("A-3", "A", 3, 3, 1),
            seat("A-4", "A", 4, 4, 1),
            seat("B-1", "B", 1, 0, 2, category="B"),
            seat("B-2", "B", 2, 1, 2, category="B"),
            seat("C-1", "C", 1, 0, 3, category="B", kind="wheelchair"),
            seat("C-2", "C", 2, 1, 3, category="B", kind="companion", companion_of="C-1"),
        ],
        "standing": None,
    }
    doc.update(overrides)
    return doc


def problems(doc) -> list[tuple[str, str]]:
    """The (field, code) pairs parse_seatmap reports; [] when the document is valid."""
    try:
        parse_seatmap(doc)
    except SeatMapInvalid as refusal:
        assert refusal.errors, "SeatMapInvalid must list its problems"
        assert all(isinstance(error, FieldError) for error in refusal.errors)
        return [(error.field, error.code) for error in refusal.errors]
    return []


def changed(change) -> list[tuple[str, str]]:
    doc = small_map()
    change(doc)
    return problems(doc)


# --------------------------------------------------------------------------- valid maps


def test_small_map_parses_with_everything_in_place():
    seatmap = parse_seatmap(small_map())
    assert seatmap.name == "Studio"
    assert seatmap.capacity == 8 and not seatmap.is_standing and seatmap.standing_capacity is None
    assert seatmap.categories[0] == Category("A", {"nl": "Categorie A"})
    assert seatmap.sections == (Section("zaal", NAMES),)
    assert seatmap.focus == Point(2, 0)
    wheelchair, companion = seatmap.seat("C-1"), seatmap.seat("C-2")
    assert wheelchair.kind is SeatKind.WHEELCHAIR and companion.kind is SeatKind.COMPANION
    assert companion.companion_of == "C-1" and seatmap.companion("C-1") == companion
    assert seatmap.companion("A-1") is None
    assert seatmap.seat("nope") is None
    assert seatmap.seat("A-1") == Seat("A-1", "zaal", "A", 1, 0, 1, "A")
    assert seatmap.capacity_by_category() == {"A": 4, "B": 4}


def test_optional_fields_default():
    doc = small_map()
    del doc["focus"], doc["standing"]
    doc["seats"] = [seat("A-1", x=0), seat("A-2", number=2, x=1), seat("B-1", "B", 1, x=4, y=3)]
    seatmap = parse_seatmap(doc)
    first = seatmap.seat("A-1")
    assert first.kind is SeatKind.STANDARD and first.companion_of is None and first.restricted_view is False
    # Default focus: horizontal centre of all seats, at the front-most y.
    assert seatmap.focus == Point(2, 0)


def test_rows_are_grouped_per_section_and_row_ordered_by_x():
    doc = small_map()
    doc["seats"].reverse()
    seatmap = parse_seatmap(doc)
    assert [[s.id for s in row] for row in seatmap.rows] == [
        ["A-1", "A-2", "A-3", "A-4"],
        ["B-1", "B-2"],
        ["C-1", "C-2"],
    ]


def test_round_trip_exports_the_same_format():
    seatmap = parse_seatmap(small_map())
    exported = seatmap.to_dict()
    assert exported["format"] == FORMAT
    assert set(exported) == {"format", "name", "categories", "sections", "focus", "seats", "standing"}
    assert set(exported["seats"][0]) == {
        "id",
        "section",
        "row",
        "number",
        "x",
        "y",
        "category",
        "kind",
        "companion_of",
        "restricted_view",
    }
    assert exported["seats"][7]["kind"] == "companion"
    assert parse_seatmap(exported) == seatmap
    assert parse_seatmap(json.loads(json.dumps(exported))) == seatmap
    # A fresh document each time: callers may annotate it (the seat-map view adds seat states).
    exported["seats"][0]["state"] = "held"
    assert "state" not in seatmap.to_dict()["seats"][0]


def test_standing_venue():
    seatmap = parse_seatmap({"format": FORMAT, "name": "Club", "seats": [], "standing": {"capacity": 300}})
    assert seatmap.is_standing and seatmap.capacity == 300 and seatmap.standing_capacity == 300
    assert seatmap.seats == () and seatmap.rows == () and seatmap.focus is None
    assert seatmap.seat("A-1") is None
    assert seatmap.to_dict() == {
        "format": FORMAT,
        "name": "Club",
        "categories": [],
        "sections": [],
        "focus": None,
        "seats": [],
        "standing": {"capacity": 300},
    }
    assert parse_seatmap(seatmap.to_dict()) == seatmap


@pytest.mark.parametrize("capacity", [1, 100_000])
def test_standing_capacity_bounds_are_inclusive(capacity):
    assert parse_seatmap(standing_venue(capacity)).capacity == capacity


def test_seats_exactly_one_unit_apart_touch_but_do_not_overlap():
    doc = small_map(
        seats=[
            seat("a", x=0, y=0),
            seat("b", number=2, x=1, y=0.5),
            seat("c", "B", 1, x=0.5, y=1.5),
            seat("d", "B", 2, x=-1, y=-1),
        ]
    )
    assert problems(doc) == []


def test_float_coordinates_and_any_language_are_fine():
    doc = small_map()
    doc["sections"][0]["name"] = {"nl": "Zaal", "de": "Saal"}
    doc["seats"] = [seat("a", x=-10.25, y=3.5), seat("b", number=2, x=-9.0, y=3.5)]
    assert problems(doc) == []


def test_seatmap_built_directly_gets_default_focus_and_indexes():
    seats = (Seat("a", "s", "A", 1, 0, 2, "A"), Seat("b", "s", "A", 2, 4, 3, "A", kind="wheelchair"))
    seatmap = SeatMap("X", (Category("A", {"nl": "A"}),), (Section("s", {"nl": "S"}),), seats)
    assert seatmap.focus == Point(2, 2)
    assert seatmap.seat("b").kind is SeatKind.WHEELCHAIR
    assert parse_seatmap(seatmap.to_dict()) == seatmap


# --------------------------------------------------------------------------- one example per error code


def test_not_an_object():
    assert problems([1, 2]) == [("", "invalid_type")]
    assert problems(None) == [("", "invalid_type")]
    assert problems("podium.seatmap/1") == [("", "invalid_type")]


def test_empty_object_lists_all_missing_parts():
    assert problems({}) == [("format", "required"), ("name", "required"), ("seats", "no_seats")]


def test_unsupported_format():
    assert changed(lambda d: d.update(format="podium.seatmap/2")) == [("format", "unsupported_format")]
    assert changed(lambda d: d.update(format=1)) == [("format", "unsupported_format")]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["seats"][2].update(x="3"), ("seats[2].x", "invalid_type")),
        (lambda d: d["seats"][2].update(y=True), ("seats[2].y", "invalid_type")),
        (lambda d: d["seats"][2].update(x=float("nan")), ("seats[2].x", "invalid_type")),
        (lambda d: d["seats"][2].update(number=1.0), ("seats[2].number", "invalid_type")),
        (lambda d: d["seats"][2].update(row=1), ("seats[2].row", "invalid_type")),
        (lambda d: d["seats"][2].update(restricted_view="yes"), ("seats[2].restricted_view", "invalid_type")),
        (lambda d: d["seats"][2].update(kind=2), ("seats[2].kind", "invalid_type")),
        (lambda d: d["seats"][7].update(companion_of=["C-1"]), ("seats[7].companion_of", "invalid_type")),
        (lambda d: d["seats"].__setitem__(2, "A-3"), ("seats[2]", "invalid_type")),
        (lambda d: d.update(seats={"A-1": {}}), ("seats", "invalid_type")),
        (lambda d: d.update(name=["Studio"]), ("name", "invalid_type")),
        (lambda d: d.update(focus=[2, 0]), ("focus", "invalid_type")),
        (lambda d: d.update(focus={"x": "2", "y": 0}), ("focus.x", "invalid_type")),
        (lambda d: d["sections"][0].update(name="Zaal"), ("sections[0].name", "invalid_type")),
        (lambda d: d["categories"][1]["name"].update(fr=None), ("categories[1].name.fr", "invalid_type")),
        (lambda d: d["categories"].__setitem__(0, "A"), ("categories[0]", "invalid_type")),
    ],
)
def test_invalid_type(change, expected):
    assert expected in changed(change)


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d.pop("name"), ("name", "required")),
        (lambda d: d["seats"][2].pop("row"), ("seats[2].row", "required")),
        (lambda d: d["seats"][2].update(id=None), ("seats[2].id", "required")),
        (lambda d: d["seats"][2].pop("x"), ("seats[2].x", "required")),
        (lambda d: d["seats"][2].pop("number"), ("seats[2].number", "required")),
        (lambda d: d["seats"][2].pop("category"), ("seats[2].category", "required")),
        (lambda d: d["sections"][0]["name"].pop("nl"), ("sections[0].name.nl", "required")),
        (lambda d: d.update(standing={}, seats=[]), ("standing.capacity", "required")),
        (lambda d: d.update(focus={"x": 1}), ("focus.y", "required")),
    ],
)
def test_required(change, expected):
    assert changed(change) == [expected]


def test_required_category_code():
    found = changed(lambda d: d["categories"][0].pop("code"))
    # Seats of the category that could not be declared are reported too.
    assert found == [("categories[0].code", "required")] + [
        (f"seats[{i}].category", "unknown_category") for i in range(4)
    ]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["seats"][2].update(id="A 3"), ("seats[2].id", "invalid_value")),
        (lambda d: d["seats"][2].update(id="x" * 41), ("seats[2].id", "invalid_value")),
        (lambda d: d["seats"][2].update(row=""), ("seats[2].row", "invalid_value")),
        (lambda d: d["seats"][2].update(row="ABCDEFGHI"), ("seats[2].row", "invalid_value")),
        (lambda d: d["seats"][2].update(kind="vip"), ("seats[2].kind", "invalid_value")),
        (lambda d: d.update(name="   "), ("name", "invalid_value")),
        (lambda d: d["sections"][0]["name"].update(NL="Zaal"), ("sections[0].name.NL", "invalid_value")),
        (lambda d: d["sections"][0]["name"].update(fr=""), ("sections[0].name.fr", "invalid_value")),
    ],
)
def test_invalid_value(change, expected):
    assert changed(change) == [expected]


def test_ids_and_codes_with_bad_characters():
    doc = small_map()
    doc["sections"][0]["id"] = "zaal.1"
    doc["categories"][0]["code"] = "A/B"
    assert ("sections[0].id", "invalid_value") in problems(doc)
    assert ("categories[0].code", "invalid_value") in problems(doc)


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["seats"][2].update(number=0), ("seats[2].number", "out_of_range")),
        (lambda d: d["seats"][2].update(number=-3), ("seats[2].number", "out_of_range")),
        (lambda d: d["seats"][2].update(number=100_000), ("seats[2].number", "out_of_range")),
        (lambda d: d["seats"][2].update(x=1e6), ("seats[2].x", "out_of_range")),
        (lambda d: d.update(focus={"x": 0, "y": -1e9}), ("focus.y", "out_of_range")),
        (lambda d: d.update(seats=[], standing={"capacity": 0}), ("standing.capacity", "out_of_range")),
        (lambda d: d.update(seats=[], standing={"capacity": 100_001}), ("standing.capacity", "out_of_range")),
    ],
)
def test_out_of_range(change, expected):
    assert changed(change) == [expected]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["seats"][2].update(colour="red"), ("seats[2].colour", "unknown_field")),
        (lambda d: d.update(catgories=[]), ("catgories", "unknown_field")),
        (lambda d: d["sections"][0].update(rows=3), ("sections[0].rows", "unknown_field")),
        (lambda d: d.update(seats=[], standing={"capacity": 3, "shards": 2}), ("standing.shards", "unknown_field")),
    ],
)
def test_unknown_field(change, expected):
    assert changed(change) == [expected]


def test_duplicate_seat_id():
    assert changed(lambda d: d["seats"][3].update(id="A-1")) == [("seats[3].id", "duplicate_seat_id")]


def test_duplicate_seat_position():
    assert changed(lambda d: d["seats"][3].update(number=2)) == [("seats[3].number", "duplicate_seat_position")]


def test_same_number_in_another_row_or_section_is_fine():
    doc = small_map()
    doc["sections"].append({"id": "balkon", "name": {"nl": "Balkon"}})
    doc["seats"].append(seat("X-1", "A", 1, x=0, y=10, section="balkon"))
    assert problems(doc) == []


def test_unknown_section():
    assert changed(lambda d: d["seats"][3].update(section="balkon")) == [("seats[3].section", "unknown_section")]


def test_unknown_category():
    assert changed(lambda d: d["seats"][3].update(category="C")) == [("seats[3].category", "unknown_category")]


def test_duplicate_section_and_category():
    doc = small_map()
    doc["sections"].append({"id": "zaal", "name": {"nl": "Nog een zaal"}})
    doc["categories"].append({"code": "B", "name": {"nl": "Nog eens B"}})
    assert problems(doc) == [
        ("categories[2].code", "duplicate_category_code"),
        ("sections[1].id", "duplicate_section_id"),
    ]


@pytest.mark.parametrize(
    "position, other",
    [
        ((0.5, 1), 0),  # half on A-1 … and half on A-2: the earliest overlap is reported
        ((3.999, 1.2), 2),  # just inside A-3
        ((1.5, 1.5), 1),  # across a cell corner, on A-2
    ],
)
def test_overlapping_seats(position, other):
    doc = small_map()
    x, y = position
    doc["seats"].append(seat("D-1", "D", 1, x=x, y=y))
    refusal = pytest.raises(SeatMapInvalid, parse_seatmap, doc).value
    assert [(e.field, e.code) for e in refusal.errors] == [("seats[8]", "overlapping_seats")]
    assert f"seats[{other}]" in refusal.errors[0].message


def test_overlap_reports_the_later_seat_of_each_pair():
    doc = small_map()
    doc["seats"][5].update(x=0.2, y=1.3)  # B-2 onto A-1
    assert problems(doc) == [("seats[5]", "overlapping_seats")]


def test_seats_on_one_spot_are_all_reported_fast():
    doc = test_hall(50, 100)
    for item in doc["seats"]:
        item["x"], item["y"] = 7.25, 3.5
    started = time.perf_counter()
    found = problems(doc)
    assert time.perf_counter() - started < 2
    assert len(found) == MAX_ERRORS + 1
    assert found[0] == ("seats[1]", "overlapping_seats") and found[-1] == ("", "too_many_errors")


@pytest.mark.parametrize(
    "change, field",
    [
        # A companion must name its wheelchair seat …
        (lambda d: d["seats"][7].pop("companion_of"), "seats[7].companion_of"),
        # … which must exist …
        (lambda d: d["seats"][7].update(companion_of="C-9"), "seats[7].companion_of"),
        # … be a wheelchair seat …
        (lambda d: d["seats"][7].update(companion_of="B-1"), "seats[7].companion_of"),
        # … in the same row …
        (lambda d: d["seats"][6].update(row="D"), "seats[7].companion_of"),
        # … and have no other companion.
        (
            lambda d: d["seats"].append(
                seat("C-3", "C", 3, x=2, y=3, category="B", kind="companion", companion_of="C-1")
            ),
            "seats[8].companion_of",
        ),
        # Only companion seats may have companion_of.
        (lambda d: d["seats"][0].update(companion_of="C-1"), "seats[0].companion_of"),
        (lambda d: d["seats"][6].update(companion_of="C-2"), "seats[6].companion_of"),
    ],
)
def test_invalid_companion(change, field):
    assert changed(change) == [(field, "invalid_companion")]


def test_companion_in_another_section():
    doc = small_map()
    doc["sections"].append({"id": "balkon", "name": {"nl": "Balkon"}})
    doc["seats"][7].update(section="balkon", y=10)
    assert problems(doc) == [("seats[7].companion_of", "invalid_companion")]


def test_wheelchair_seat_without_companion_is_fine():
    assert changed(lambda d: d["seats"].pop(7)) == []


def test_seats_and_standing():
    assert changed(lambda d: d.update(standing={"capacity": 200})) == [("standing", "seats_and_standing")]


def test_no_seats():
    assert changed(lambda d: d.update(seats=[])) == [("seats", "no_seats")]
    assert changed(lambda d: d.pop("seats")) == [("seats", "no_seats")]


def test_standing_must_be_an_object():
    assert changed(lambda d: d.update(seats=[], standing=300)) == [("standing", "invalid_type")]


def test_too_many_seats():
    assert problems(test_hall(50, 100)) == []
    assert problems(test_hall(51, 100)) == [("seats", "too_many_seats")]


def test_too_many_sections_and_categories():
    doc = small_map()
    doc["sections"] += [{"id": f"s{i}", "name": {"nl": "S"}} for i in range(200)]
    doc["categories"] += [{"code": f"c{i}", "name": {"nl": "C"}} for i in range(19)]
    assert problems(doc) == [("categories", "too_many_categories"), ("sections", "too_many_sections")]


def test_every_problem_is_listed_not_just_the_first():
    doc = small_map(format="v2")
    doc["seats"][1].update(section="balkon", category="Z")
    doc["seats"][2].update(id="A-1", number=0)
    doc["seats"][3].update(x=3.5)
    doc["seats"][7].update(companion_of="A-1")
    assert problems(doc) == [
        ("format", "unsupported_format"),
        ("seats[1].section", "unknown_section"),
        ("seats[1].category", "unknown_category"),
        ("seats[2].number", "out_of_range"),
        ("seats[2].id", "duplicate_seat_id"),
        ("seats[7].companion_of", "invalid_companion"),
        ("seats[3]", "overlapping_seats"),
    ]


def test_too_many_errors_are_cut_off():
    doc = test_hall(40, 100)
    for item in doc["seats"]:
        item["category"] = "Z"
    found = problems(doc)
    assert len(found) == MAX_ERRORS + 1
    assert found[-1] == ("", "too_many_errors")


def test_refusal_is_a_seatmap_invalid_with_its_code():
    refusal = pytest.raises(SeatMapInvalid, parse_seatmap, {}).value
    assert refusal.code == "seatmap_invalid"
    assert refusal.errors[0].to_dict() == {"field": "format", "code": "required", "message": refusal.errors[0].message}


# --------------------------------------------------------------------------- documentation and demo halls


def test_documented_examples_parse():
    text = (Path(__file__).resolve().parents[2] / "docs" / "seatmap-format.md").read_text()
    examples = re.findall(r"## Example[^\n]*\n.*?```json\n(.*?)```", text, re.S)
    assert len(examples) == 2
    seated, standing = (parse_seatmap(json.loads(example)) for example in examples)
    assert seated.capacity == 8 and seated.companion("parterre-B-1").id == "parterre-B-2"
    assert standing.is_standing and standing.capacity == 300


ALL_CODES = {
    "invalid_type",
    "required",
    "invalid_value",
    "out_of_range",
    "unknown_field",
    "unsupported_format",
    "too_many_seats",
    "too_many_sections",
    "too_many_categories",
    "duplicate_category_code",
    "duplicate_section_id",
    "duplicate_seat_id",
    "duplicate_seat_position",
    "unknown_section",
    "unknown_category",
    "overlapping_seats",
    "invalid_companion",
    "seats_and_standing",
    "no_seats",
    "too_many_errors",
}


def test_documented_error_codes_are_the_ones_used():
    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "seatmap-format.md").read_text()
    source = (root / "chalicelib" / "domain" / "seatmap.py").read_text()
    table = text[text.index("| Code | Field | When |") : text.index("## Example")]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)) == ALL_CODES
    assert all(f'"{code}"' in source for code in ALL_CODES)


def test_grote_zaal():
    seatmap = parse_seatmap(grote_zaal())
    assert 480 <= seatmap.capacity <= 520
    assert [s.id for s in seatmap.sections] == ["parterre", "balkon"]
    assert all(set(s.name) == {"nl", "fr", "en"} for s in seatmap.sections + seatmap.categories)
    rows = {
        section: sorted({s.row for s in seatmap.seats if s.section == section}) for section in ("parterre", "balkon")
    }
    assert rows["parterre"] == list("ABCDEFGHIJKLMNOP") and rows["balkon"] == list("ABCDEF")
    assert {s.category for s in seatmap.seats} == {"A", "B", "C"}
    # Categories by distance to the stage: front rows A, then B, then C (rows come front to back).
    parterre = [{s.category for s in row} for row in seatmap.rows if row[0].section == "parterre"]
    assert parterre == [{"A"}] * 6 + [{"B"}] * 6 + [{"C"}] * 4
    balkon = [{s.category for s in row} for row in seatmap.rows if row[0].section == "balkon"]
    assert balkon == [{"B"}] * 2 + [{"C"}] * 4
    wheelchairs = [s for s in seatmap.seats if s.kind is SeatKind.WHEELCHAIR]
    assert len(wheelchairs) == 4
    for wheelchair in wheelchairs:
        assert (wheelchair.section, wheelchair.row) == ("parterre", "P")
        companion = seatmap.companion(wheelchair.id)
        assert companion is not None and companion.row == "P"
    restricted = [s for s in seatmap.seats if s.restricted_view]
    assert restricted and all(s.section == "balkon" for s in restricted)
    assert {s.number for s in restricted} <= {1, 2, 17, 18}
    # A centre aisle: every parterre row splits into two blocks more than 1.5 apart.
    for row in seatmap.rows:
        if row[0].section == "parterre":
            gaps = [b.x - a.x for a, b in zip(row, row[1:])]
            assert sum(gap > 1.5 for gap in gaps) == 1
    assert parse_seatmap(seatmap.to_dict()) == seatmap


def test_kleine_zaal():
    seatmap = parse_seatmap(kleine_zaal())
    assert 150 <= seatmap.capacity <= 200
    assert len(seatmap.sections) == 1
    wheelchairs = [s for s in seatmap.seats if s.kind is SeatKind.WHEELCHAIR]
    assert len(wheelchairs) == 2 and all(seatmap.companion(s.id) is not None for s in wheelchairs)
    assert parse_seatmap(seatmap.to_dict()) == seatmap


@pytest.mark.parametrize("rows, per_row", [(1, 1), (10, 10), (25, 40), (30, 27)])
def test_test_hall(rows, per_row):
    seatmap = parse_seatmap(test_hall(rows, per_row))
    assert seatmap.capacity == rows * per_row
    assert len(seatmap.rows) == rows and all(len(row) == per_row for row in seatmap.rows)
    assert len({s.row for s in seatmap.seats}) == rows


def test_standing_demo():
    assert parse_seatmap(standing_venue(300)).capacity == 300


def test_parsing_a_full_hall_is_quick():
    doc = test_hall(50, 100)
    started = time.perf_counter()
    parse_seatmap(doc)
    assert time.perf_counter() - started < 1


# --------------------------------------------------------------------------- properties

LABELS = [chr(ord("A") + i) for i in range(26)]


@st.composite
def valid_maps(draw):
    """Random halls: distinct grid positions, scaled by an exact spacing, with some wheelchair places."""
    n_sections = draw(st.integers(1, 3))
    n_categories = draw(st.integers(1, 3))
    columns = draw(st.integers(1, 12))
    rows = draw(st.integers(1, 8))
    cells = draw(
        st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, columns - 1)), min_size=1, max_size=40, unique=True)
    )
    # Spacings and offsets are exact binary fractions, so "exactly 1 apart" stays exactly 1.
    spacing_x = draw(st.sampled_from([1, 1.25, 1.5, 2]))
    spacing_y = draw(st.sampled_from([1, 1.5, 2.75]))
    offset_x = draw(st.integers(-400, 400)) / 4
    offset_y = draw(st.integers(-400, 400)) / 4
    seats = []
    for row, column in cells:
        section = f"s{draw(st.integers(0, n_sections - 1))}"
        seats.append(
            {
                "id": f"{section}-{LABELS[row]}-{column + 1}",
                "section": section,
                "row": LABELS[row],
                "number": column + 1,
                "x": offset_x + column * spacing_x,
                "y": offset_y + row * spacing_y,
                "category": f"c{draw(st.integers(0, n_categories - 1))}",
                "kind": "standard",
                "companion_of": None,
                "restricted_view": draw(st.booleans()),
            }
        )
    seats = draw(st.permutations(seats))
    # Wheelchair places: a seat and another of the same section and row become a pair.
    by_row: dict[tuple[str, str], list[dict]] = {}
    for item in seats:
        by_row.setdefault((item["section"], item["row"]), []).append(item)
    for members in by_row.values():
        if len(members) >= 2 and draw(st.booleans()):
            members[0]["kind"] = "wheelchair"
            members[1]["kind"] = "companion"
            members[1]["companion_of"] = members[0]["id"]
        elif members and draw(st.integers(0, 4)) == 0:
            members[-1]["kind"] = "wheelchair"  # a wheelchair seat without companion
    focus = draw(st.none() | st.builds(lambda x, y: {"x": x, "y": y}, st.integers(-50, 50), st.integers(-50, 50)))
    return {
        "format": FORMAT,
        "name": draw(st.text(min_size=1, max_size=20).filter(lambda s: s.strip())),
        "categories": [
            {"code": f"c{i}", "name": {"nl": f"Categorie {i}", "en": f"Category {i}"}} for i in range(n_categories)
        ],
        "sections": [{"id": f"s{i}", "name": {"nl": f"Sectie {i}"}} for i in range(n_sections)],
        "focus": focus,
        "seats": seats,
        "standing": None,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_maps())
def test_random_valid_maps_parse_and_round_trip(doc):
    seatmap = parse_seatmap(doc)
    assert seatmap.capacity == len(doc["seats"])
    assert [s.id for s in seatmap.seats] == [s["id"] for s in doc["seats"]]
    exported = seatmap.to_dict()
    assert parse_seatmap(exported) == seatmap
    assert parse_seatmap(json.loads(json.dumps(exported))) == seatmap
    assert exported["seats"] == doc["seats"]


@st.composite
def defective_maps(draw):
    """A valid map with one defect injected; returns (document, expected (field, code))."""
    doc = draw(valid_maps().filter(lambda d: len(d["seats"]) >= 2))
    seats = doc["seats"]
    defect = draw(
        st.sampled_from(
            ["duplicate_id", "unknown_section", "unknown_category", "overlap", "same_position", "companion"]
        )
    )
    i, j = sorted(draw(st.lists(st.integers(0, len(seats) - 1), min_size=2, max_size=2, unique=True)))
    if defect == "duplicate_id":
        seats[j]["id"] = seats[i]["id"]
        return doc, (f"seats[{j}].id", "duplicate_seat_id")
    if defect == "unknown_section":
        seats[j]["section"] = "nowhere"
        return doc, (f"seats[{j}].section", "unknown_section")
    if defect == "unknown_category":
        seats[j]["category"] = "nope"
        return doc, (f"seats[{j}].category", "unknown_category")
    if defect == "overlap":
        moved, onto = draw(st.sampled_from([(i, j), (j, i)]))
        seats[moved]["x"] = seats[onto]["x"] + draw(st.sampled_from([0, 0.5, -0.75]))
        seats[moved]["y"] = seats[onto]["y"] + draw(st.sampled_from([0, 0.25, -0.5]))
        return doc, (f"seats[{j}]", "overlapping_seats")
    if defect == "same_position":
        for key in ("section", "row", "number"):
            seats[j][key] = seats[i][key]
        return doc, (f"seats[{j}].number", "duplicate_seat_position")
    companions = [k for k, item in enumerate(seats) if item["kind"] == "companion"]
    if companions:
        k = draw(st.sampled_from(companions))
        standard = [item["id"] for item in seats if item["kind"] == "standard"]
        seats[k]["companion_of"] = draw(st.sampled_from(standard + ["missing-seat", None]))
    else:
        k = j
        seats[k]["companion_of"] = seats[i]["id"]
    return doc, (f"seats[{k}].companion_of", "invalid_companion")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(defective_maps())
def test_an_injected_defect_is_reported(case):
    doc, expected = case
    assert expected in problems(doc)


ANY_KEYS = st.text(max_size=8)


def json_values(keys=ANY_KEYS):
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=10)
        | st.sampled_from([FORMAT, "A", "zaal", "wheelchair", "companion", "standard"])
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
        max_leaves=30,
    )


FIELD_NAMES = st.sampled_from(
    [
        "format",
        "name",
        "categories",
        "sections",
        "focus",
        "seats",
        "standing",
        "id",
        "section",
        "row",
        "number",
        "x",
        "y",
        "category",
        "kind",
        "companion_of",
        "restricted_view",
        "code",
        "capacity",
        "nl",
    ]
) | st.text(max_size=4)


@settings(max_examples=300, deadline=None)
@given(json_values() | json_values(FIELD_NAMES))
def test_junk_never_raises_anything_but_seatmap_invalid(junk):
    try:
        seatmap = parse_seatmap(junk)
    except SeatMapInvalid as refusal:
        assert refusal.errors
    else:  # junk that happens to be a valid (standing) map is fine
        assert parse_seatmap(seatmap.to_dict()) == seatmap


@st.composite
def damaged_maps(draw):
    """A valid map with a few of its values, at any depth, replaced by junk (or junk fields added)."""
    doc = draw(valid_maps())
    for _ in range(draw(st.integers(1, 3))):
        target = doc
        for _depth in range(draw(st.integers(0, 3))):
            children = target.items() if isinstance(target, dict) else enumerate(target)
            containers = [key for key, value in children if isinstance(value, (dict, list)) and value]
            if not containers:
                break
            target = target[draw(st.sampled_from(containers))]
        if isinstance(target, dict):
            key = draw(st.sampled_from(sorted(target)) | FIELD_NAMES) if target else draw(FIELD_NAMES)
            target[key] = draw(json_values())
        else:
            target[draw(st.integers(0, len(target) - 1))] = draw(json_values())
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_maps())
def test_damaged_maps_parse_or_raise_seatmap_invalid(doc):
    original = copy.deepcopy(doc)
    try:
        seatmap = parse_seatmap(doc)
    except SeatMapInvalid as refusal:
        assert refusal.errors
    else:
        assert parse_seatmap(seatmap.to_dict()) == seatmap
    assert doc == original  # parsing never changes its input
