"""Demo halls as `podium.seatmap/1` documents (plain dicts), for seeding, demos, tests and benchmarks."""

from __future__ import annotations

from typing import Any

FORMAT = "podium.seatmap/1"

_CATEGORY_NAMES = {
    "A": {"nl": "Categorie A", "fr": "Catégorie A", "en": "Category A"},
    "B": {"nl": "Categorie B", "fr": "Catégorie B", "en": "Category B"},
    "C": {"nl": "Categorie C", "fr": "Catégorie C", "en": "Category C"},
}


def _categories(*codes: str) -> list[dict[str, Any]]:
    return [{"code": code, "name": dict(_CATEGORY_NAMES[code])} for code in codes]


def _seat(
    section: str,
    row: str,
    number: int,
    x: float,
    y: float,
    category: str,
    kind: str = "standard",
    companion_of: str | None = None,
    restricted_view: bool = False,
) -> dict[str, Any]:
    return {
        "id": f"{section}-{row}-{number}",
        "section": section,
        "row": row,
        "number": number,
        "x": x,
        "y": y,
        "category": category,
        "kind": kind,
        "companion_of": companion_of,
        "restricted_view": restricted_view,
    }


def row_label(index: int) -> str:
    """Row letters as in most halls: A … Z, then AA, AB … (spreadsheet style)."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def grote_zaal() -> dict[str, Any]:
    """A 508-seat hall: curved parterre A–P with a centre aisle, balkon A–F; 4 wheelchair places in parterre P."""
    centre = 20.0
    seats: list[dict[str, Any]] = []
    for index in range(16):  # parterre A–P
        row = row_label(index)
        per_side = 11 + index // 4  # the hall widens towards the back
        category = "A" if index < 6 else "B" if index < 12 else "C"
        # Left block from the wall to the aisle, then right block; a 3-seat gap is the centre aisle.
        offsets = [-(1.5 + k) for k in reversed(range(per_side))] + [1.5 + k for k in range(per_side)]
        for number, offset in enumerate(offsets, start=1):
            # A gentle curve towards the stage at the sides; rows are 1.25 seat units apart.
            y = round(2 + 1.25 * index + 0.01 * offset * offset, 3)
            seats.append(_seat("parterre", row, number, centre + offset, y, category))
    # Wheelchair places at both ends of the back row P: wheelchair seat on the outside, companion beside it.
    back = [seat for seat in seats if seat["row"] == "P"]
    for wheelchair, companion in ((back[0], back[1]), (back[2], back[3]), (back[-1], back[-2]), (back[-3], back[-4])):
        wheelchair["kind"] = "wheelchair"
        companion["kind"] = "companion"
        companion["companion_of"] = wheelchair["id"]
    for index in range(6):  # balkon A–F, behind and above the parterre
        row = row_label(index)
        category = "B" if index < 2 else "C"
        for number in range(1, 19):
            offset = number - 9.5
            y = round(24 + 1.25 * index + 0.01 * offset * offset, 3)
            # The two outermost seats on each side look past a pillar at the stage.
            restricted = number <= 2 or number >= 17
            seats.append(_seat("balkon", row, number, centre + offset, y, category, restricted_view=restricted))
    return {
        "format": FORMAT,
        "name": "Grote Zaal",
        "categories": _categories("A", "B", "C"),
        "sections": [
            {"id": "parterre", "name": {"nl": "Parterre", "fr": "Parterre", "en": "Stalls"}},
            {"id": "balkon", "name": {"nl": "Balkon", "fr": "Balcon", "en": "Balcony"}},
        ],
        "focus": {"x": centre, "y": 0},
        "seats": seats,
        "standing": None,
    }


def kleine_zaal() -> dict[str, Any]:
    """A 168-seat studio: one section, rows A–L of 14; 2 wheelchair places in row L; default focus."""
    seats: list[dict[str, Any]] = []
    for index in range(12):
        row = row_label(index)
        category = "A" if index < 6 else "B"
        for number in range(1, 15):
            seats.append(_seat("zaal", row, number, float(number), 1.0 + index, category))
    back = [seat for seat in seats if seat["row"] == "L"]
    for wheelchair, companion in ((back[0], back[1]), (back[-1], back[-2])):
        wheelchair["kind"] = "wheelchair"
        companion["kind"] = "companion"
        companion["companion_of"] = wheelchair["id"]
    return {
        "format": FORMAT,
        "name": "Kleine Zaal",
        "categories": _categories("A", "B"),
        "sections": [{"id": "zaal", "name": {"nl": "Zaal", "fr": "Salle", "en": "Auditorium"}}],
        "seats": seats,
    }


def concert_hall(seats: int = 1000, per_row: int = 32) -> dict[str, Any]:
    """A hall of exactly `seats` seats (8 or more): a parterre of three quarters of them in rows of
    `per_row` split by a centre aisle (categories A, B, C front to back; 2 wheelchair places with
    their companion seats at the ends of the back row), and a balkon of the rest behind it (B then
    C; the two outermost seats of each row have a restricted view)."""
    if seats < 8:
        raise ValueError("a concert hall has 8 seats or more")
    half = max(2, per_row // 2)
    parterre = seats - seats // 4
    rows = -(-parterre // (2 * half))
    centre = float(half + 2)
    out: list[dict[str, Any]] = []
    for index in range(rows):
        row = row_label(index)
        count = min(2 * half, parterre - index * 2 * half)
        category = "A" if index < rows / 3 else "B" if index < 2 * rows / 3 else "C"
        offsets = [-(1.5 + k) for k in reversed(range(half))] + [1.5 + k for k in range(half)]
        if count < len(offsets):  # a short back row keeps to the middle
            trim = len(offsets) - count
            offsets = offsets[trim // 2 : len(offsets) - (trim - trim // 2)]
        for number, offset in enumerate(offsets, start=1):
            y = round(2 + 1.25 * index + 0.005 * offset * offset, 3)
            out.append(_seat("parterre", row, number, centre + offset, y, category))
    back = [seat for seat in out if seat["row"] == row_label(rows - 1)]
    if len(back) >= 4:
        for wheelchair, companion in ((back[0], back[1]), (back[-1], back[-2])):
            wheelchair["kind"] = "wheelchair"
            companion["kind"] = "companion"
            companion["companion_of"] = wheelchair["id"]
    balkon = seats - parterre
    balkon_per_row = 2 * half - 2
    top = 2 + 1.25 * rows + 3
    for index in range(-(-balkon // balkon_per_row)):
        row = row_label(index)
        count = min(balkon_per_row, balkon - index * balkon_per_row)
        first = (balkon_per_row - count) // 2
        for number in range(1, count + 1):
            offset = first + number - (balkon_per_row + 1) / 2
            restricted = number <= 2 or number > count - 2
            out.append(
                _seat(
                    "balkon",
                    row,
                    number,
                    centre + offset,
                    round(top + 1.25 * index, 3),
                    "B" if index < 2 else "C",
                    restricted_view=restricted,
                )
            )
    return {
        "format": FORMAT,
        "name": f"Concertzaal ({seats})",
        "categories": _categories("A", "B", "C"),
        "sections": [
            {"id": "parterre", "name": {"nl": "Parterre", "fr": "Parterre", "en": "Stalls"}},
            {"id": "balkon", "name": {"nl": "Balkon", "fr": "Balcon", "en": "Balcony"}},
        ],
        "focus": {"x": centre, "y": 0},
        "seats": out,
        "standing": None,
    }


def test_hall(rows: int, seats_per_row: int) -> dict[str, Any]:
    """A plain rectangular hall of rows × seats_per_row standard seats, all category A (tests, benchmarks)."""
    seats = [_seat("zaal", row_label(r), n + 1, n, r, "A") for r in range(rows) for n in range(seats_per_row)]
    return {
        "format": FORMAT,
        "name": f"Testzaal {rows}×{seats_per_row}",
        "categories": _categories("A"),
        "sections": [{"id": "zaal", "name": {"nl": "Zaal", "fr": "Salle", "en": "Hall"}}],
        "seats": seats,
        "standing": None,
    }


# Not a pytest test, despite the name.
test_hall.__test__ = False  # type: ignore[attr-defined]


def standing_venue(capacity: int) -> dict[str, Any]:
    """A hall without seats: `capacity` standing places."""
    return {
        "format": FORMAT,
        "name": f"Staanzaal ({capacity})",
        "categories": [],
        "sections": [],
        "seats": [],
        "standing": {"capacity": capacity},
    }
