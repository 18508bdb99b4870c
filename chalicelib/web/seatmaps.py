"""The seat map as the performance page draws it: SVG geometry, labels for screen readers, legend.

Pure: takes the live seat-map document (`services.availability.seat_map_view`) and the prices,
returns what the template needs. Seats keep their hall coordinates (one unit per seat, stage at
low y); rows and positions in a row let the page's script move focus with the arrow keys.
"""
from __future__ import annotations

from dataclasses import dataclass

from .rendering import localized

SEAT_SIZE = 0.84  # of the 1×1 cell: a gap between seats keeps them apart at any zoom
PADDING = 1.5
STAGE_DEPTH = 2.0
PALETTE_SIZE = 6  # category colours in pages.css: .cat-0 … .cat-5


@dataclass(frozen=True)
class SeatShape:
    id: str
    x: float  # top-left corner in SVG units
    y: float
    centre_x: float
    centre_y: float
    size: float
    category_index: int
    kind: str  # standard, wheelchair, companion
    restricted_view: bool
    free: bool
    row_index: int
    position: int
    label: str


def seat_map_model(document: dict, prices: dict[str, int], language: str, gettext) -> dict:
    """Geometry, legend and accessible labels of a live seat map (`document` = seat_map_view's `seatmap`)."""
    _ = gettext
    categories = [{"code": c["code"], "name": localized(c["name"], language), "index": i % PALETTE_SIZE,
                   "price": prices.get(c["code"])} for i, c in enumerate(document["categories"])]
    by_code = {c["code"]: c for c in categories}
    sections = {s["id"]: localized(s["name"], language) for s in document["sections"]}
    section_rank = {s["id"]: i for i, s in enumerate(document["sections"])}
    seats = document["seats"]
    if not seats:
        return {"seats": [], "categories": categories, "view_box": "0 0 1 1", "width": 1, "height": 1,
                "free": 0, "has_wheelchair": False, "has_restricted": False, "stage": None}
    min_x = min(s["x"] for s in seats) - 0.5 - PADDING
    max_x = max(s["x"] for s in seats) + 0.5 + PADDING
    min_y = min(s["y"] for s in seats) - 0.5 - PADDING - STAGE_DEPTH - 1
    max_y = max(s["y"] for s in seats) + 0.5 + PADDING
    rows: dict[tuple[str, str], list[dict]] = {}
    for seat in seats:
        rows.setdefault((seat["section"], seat["row"]), []).append(seat)
    ordered = sorted(rows.values(), key=lambda row: (section_rank.get(row[0]["section"], 999),
                                                      sum(s["y"] for s in row) / len(row), row[0]["row"]))
    shapes: list[SeatShape] = []
    for row_index, row in enumerate(ordered):
        for position, seat in enumerate(sorted(row, key=lambda s: (s["x"], s["number"]))):
            category = by_code.get(seat["category"], {"index": 0, "name": seat["category"], "price": None})
            free = seat.get("state") == "free"
            parts = [_("%(section)s, row %(row)s, seat %(number)s") % {
                "section": sections.get(seat["section"], seat["section"]), "row": seat["row"],
                "number": seat["number"]}, category["name"]]
            if seat["kind"] == "wheelchair":
                parts.append(_("wheelchair place"))
            elif seat["kind"] == "companion":
                parts.append(_("companion seat"))
            if seat.get("restricted_view"):
                parts.append(_("restricted view"))
            if not free:
                parts.append(_("taken"))
            offset = (1 - SEAT_SIZE) / 2
            shapes.append(SeatShape(
                id=seat["id"], x=round(seat["x"] - 0.5 + offset - min_x, 3),
                y=round(seat["y"] - 0.5 + offset - min_y, 3), centre_x=round(seat["x"] - min_x, 3),
                centre_y=round(seat["y"] - min_y, 3), size=SEAT_SIZE, category_index=category["index"],
                kind=seat["kind"], restricted_view=bool(seat.get("restricted_view")), free=free,
                row_index=row_index, position=position, label=", ".join(parts)))
    width, height = round(max_x - min_x, 3), round(max_y - min_y, 3)
    return {
        "seats": shapes, "categories": categories, "view_box": f"0 0 {width} {height}", "width": width,
        "height": height, "free": sum(1 for s in shapes if s.free),
        "has_wheelchair": any(s.kind == "wheelchair" for s in shapes),
        "has_restricted": any(s.restricted_view for s in shapes),
        "stage": {"x": round(width * 0.2, 3), "y": PADDING / 2, "width": round(width * 0.6, 3), "height": STAGE_DEPTH},
        "big": len(shapes) > 250,
    }
