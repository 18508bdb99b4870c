"""The seat map as the performance page draws it: SVG geometry, labels for screen readers, legend.

Pure: takes the seat-map document and the prices, returns what the template needs. Seats keep
their hall coordinates (one unit per seat, stage at low y); rows and positions in a row let the
page's script move focus with the arrow keys.

A hall's seat map never changes (`store.catalog.get_performance_seatmap`), so its geometry, its
labels and each seat's SVG in both states (free, taken) are built once per performance and
language (`SeatMapLayout`); a page then only picks each seat's variant from the live states. That
keeps a 1,000-seat page's server time a few milliseconds instead of the ~20 ms of escaping 21
values per seat on every view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from .rendering import environment, gettext_for, localized

SEAT_SIZE = 0.84  # of the 1×1 cell: a gap between seats keeps them apart at any zoom
PADDING = 1.5
STAGE_DEPTH = 2.0
PALETTE_SIZE = 6  # category colours in pages.css: .cat-0 … .cat-5
MAX_LAYOUTS = 32  # per process: a 1,000-seat hall's layout with its markup is ~1 MB


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
    row_index: int
    position: int
    label: str  # for screen readers, of the free seat


@dataclass(frozen=True)
class SeatMapLayout:
    """What a hall's seat map looks like in one language, whatever its seats' states."""

    shapes: tuple[SeatShape, ...]  # as free seats; `taken` variants differ in label, class and cross
    categories: tuple[dict, ...]  # code, name, palette index
    view_box: str
    width: float
    height: float
    stage: dict | None
    language: str
    taken_word: str  # appended to a taken seat's label
    _markup: dict[tuple[str, bool, bool], Markup] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_wheelchair(self) -> bool:
        return any(s.kind == "wheelchair" for s in self.shapes)

    @property
    def has_restricted(self) -> bool:
        return any(s.restricted_view for s in self.shapes)

    def seat_markup(self, shape: SeatShape, free: bool, just_taken: bool = False) -> Markup:
        """One seat's SVG group (`pages/_seat.html`), rendered once per state and then reused."""
        key = (shape.id, free, just_taken)
        markup = self._markup.get(key)
        if markup is None:
            label = shape.label if free else f"{shape.label}, {self.taken_word}"
            template = environment(self.language).get_template("pages/_seat.html")
            macro = template.module.seat  # type: ignore[attr-defined]  # a macro of the template
            markup = self._markup[key] = macro(shape, free, just_taken, label)  # a Markup: autoescaped
        return markup


def seat_map_layout(document: dict, language: str, gettext) -> SeatMapLayout:
    """Geometry, categories and accessible labels of a seat-map document (states ignored)."""
    _ = gettext
    categories = tuple(
        {"code": c["code"], "name": localized(c["name"], language), "index": i % PALETTE_SIZE}
        for i, c in enumerate(document["categories"])
    )
    by_code = {c["code"]: c for c in categories}
    sections = {s["id"]: localized(s["name"], language) for s in document["sections"]}
    section_rank = {s["id"]: i for i, s in enumerate(document["sections"])}
    seats = document["seats"]
    if not seats:
        return SeatMapLayout((), categories, "0 0 1 1", 1, 1, None, language, _("taken"))
    min_x = min(s["x"] for s in seats) - 0.5 - PADDING
    max_x = max(s["x"] for s in seats) + 0.5 + PADDING
    min_y = min(s["y"] for s in seats) - 0.5 - PADDING - STAGE_DEPTH - 1
    max_y = max(s["y"] for s in seats) + 0.5 + PADDING
    rows: dict[tuple[str, str], list[dict]] = {}
    for seat in seats:
        rows.setdefault((seat["section"], seat["row"]), []).append(seat)
    ordered = sorted(
        rows.values(),
        key=lambda row: (section_rank.get(row[0]["section"], 999), sum(s["y"] for s in row) / len(row), row[0]["row"]),
    )
    shapes: list[SeatShape] = []
    for row_index, row in enumerate(ordered):
        for position, seat in enumerate(sorted(row, key=lambda s: (s["x"], s["number"]))):
            category = by_code.get(seat["category"], {"index": 0, "name": seat["category"]})
            parts = [
                _("%(section)s, row %(row)s, seat %(number)s")
                % {
                    "section": sections.get(seat["section"], seat["section"]),
                    "row": seat["row"],
                    "number": seat["number"],
                },
                category["name"],
            ]
            if seat["kind"] == "wheelchair":
                parts.append(_("wheelchair place"))
            elif seat["kind"] == "companion":
                parts.append(_("companion seat"))
            if seat.get("restricted_view"):
                parts.append(_("restricted view"))
            offset = (1 - SEAT_SIZE) / 2
            shapes.append(
                SeatShape(
                    id=seat["id"],
                    x=round(seat["x"] - 0.5 + offset - min_x, 3),
                    y=round(seat["y"] - 0.5 + offset - min_y, 3),
                    centre_x=round(seat["x"] - min_x, 3),
                    centre_y=round(seat["y"] - min_y, 3),
                    size=SEAT_SIZE,
                    category_index=category["index"],
                    kind=seat["kind"],
                    restricted_view=bool(seat.get("restricted_view")),
                    row_index=row_index,
                    position=position,
                    label=", ".join(parts),
                )
            )
    width, height = round(max_x - min_x, 3), round(max_y - min_y, 3)
    stage = {"x": round(width * 0.2, 3), "y": PADDING / 2, "width": round(width * 0.6, 3), "height": STAGE_DEPTH}
    return SeatMapLayout(tuple(shapes), categories, f"0 0 {width} {height}", width, height, stage, language, _("taken"))


_layouts: dict[tuple[str, str], SeatMapLayout] = {}
_layouts_lock = threading.Lock()


def cached_layout(hall_key: str, language: str, document: Callable[[], dict], gettext) -> SeatMapLayout:
    """The layout of a hall that never changes (`hall_key`: the performance whose copy it is), built once
    per process and language from `document()`."""
    key = (hall_key, language)
    layout = _layouts.get(key)
    if layout is None:
        layout = seat_map_layout(document(), language, gettext)
        with _layouts_lock:
            if len(_layouts) >= MAX_LAYOUTS:
                _layouts.pop(next(iter(_layouts)))  # the oldest: a busy process serves a few halls
            _layouts[key] = layout
    return layout


def seat_map_model(layout: SeatMapLayout, states: dict[str, str], prices: dict[str, int], taken=()) -> dict:
    """What `pages/_seatmap.html` draws: the layout with each seat free or taken (`states`: seat id →
    public state; a seat missing from it counts as taken), the legend's prices, and the seats a
    buyer just lost (`taken`) marked."""
    just_taken = set(taken)
    markup, free_count = [], 0
    for shape in layout.shapes:
        free = states.get(shape.id) == "free"
        free_count += free
        markup.append(layout.seat_markup(shape, free, shape.id in just_taken))
    return {
        "seats": Markup("").join(markup),
        "categories": [{**c, "price": prices.get(c["code"])} for c in layout.categories],
        "view_box": layout.view_box,
        "width": layout.width,
        "height": layout.height,
        "free": free_count,
        "has_wheelchair": layout.has_wheelchair,
        "has_restricted": layout.has_restricted,
        "stage": layout.stage,
        "big": len(layout.shapes) > 250,
    }


def seat_map_for(performance, hall, states: dict[str, str], language: str, taken=()) -> dict:
    """The seat map's template model: the hall's layout, built once per process and language, with each
    seat's state and the first tariff's prices in the legend."""
    first_tariff = performance.tariffs[0] if performance.tariffs else None
    layout = cached_layout(performance.id, language, hall.to_dict, gettext_for(language))
    return seat_map_model(layout, states, dict(first_tariff.prices) if first_tariff else {}, taken or ())
