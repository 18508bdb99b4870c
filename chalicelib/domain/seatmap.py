"""Seat maps in the `podium.seatmap/1` format: a hall's seats (or standing capacity), checked in full.

The format is documented in docs/seatmap-format.md; keep the two in step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from .errors import FieldError, SeatMapInvalid

FORMAT = "podium.seatmap/1"
MAX_SEATS = 5000
MAX_STANDING_CAPACITY = 100_000
MAX_SECTIONS = 200
MAX_CATEGORIES = 20
MAX_ROW_LENGTH = 8
MAX_SEAT_NUMBER = 99_999
MAX_COORDINATE = 100_000
MAX_NAME_LENGTH = 100
# A hopeless upload (say 50,000 broken seats) should not produce a multi-megabyte error response.
MAX_ERRORS = 1000

SEAT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# No dots: section ids and category codes end up in field paths such as `tariffs[0].prices.A`.
SECTION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
CATEGORY_CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,16}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2}")
REQUIRED_LANGUAGE = "nl"

_TOP_KEYS = ("format", "name", "categories", "sections", "focus", "seats", "standing")
_SEAT_KEYS = ("id", "section", "row", "number", "x", "y", "category", "kind", "companion_of", "restricted_view")
_SEAT_KEY_SET = frozenset(_SEAT_KEYS)


class SeatKind(str, Enum):
    STANDARD = "standard"
    WHEELCHAIR = "wheelchair"
    COMPANION = "companion"


_KINDS = {kind.value: kind for kind in SeatKind}


@dataclass(frozen=True)
class Category:
    """A price category of the hall (A, B, C …); tariffs give one price per category."""

    code: str
    name: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": dict(self.name)}


@dataclass(frozen=True)
class Section:
    """A part of the hall (parterre, balkon …) in which rows and seat numbers are unique."""

    id: str
    name: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": dict(self.name)}


@dataclass(frozen=True)
class Point:
    """A position in seat units; the stage is at low y."""

    x: float
    y: float

    def to_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y}


@dataclass(frozen=True)
class Seat:
    """One seat: a 1×1 square centred on (x, y), in a row of a section."""

    id: str
    section: str
    row: str
    number: int
    x: float
    y: float
    category: str
    kind: SeatKind = SeatKind.STANDARD
    companion_of: str | None = None
    restricted_view: bool = False

    def __post_init__(self) -> None:
        # Accept "wheelchair" as well as SeatKind.WHEELCHAIR, but always store the enum.
        if type(self.kind) is not SeatKind:
            object.__setattr__(self, "kind", SeatKind(self.kind))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "row": self.row,
            "number": self.number,
            "x": self.x,
            "y": self.y,
            "category": self.category,
            "kind": self.kind.value,
            "companion_of": self.companion_of,
            "restricted_view": self.restricted_view,
        }


@dataclass(frozen=True)
class SeatMap:
    """A hall: either seats (1..5000) or a standing capacity, never both.

    Build it with `parse_seatmap`, which checks every rule; `focus` defaults to the
    horizontal centre of the seats at the front row's y.
    """

    name: str
    categories: tuple[Category, ...]
    sections: tuple[Section, ...]
    seats: tuple[Seat, ...]
    standing_capacity: int | None = None
    focus: Point | None = None
    _by_id: dict[str, Seat] = field(init=False, repr=False, compare=False)
    _companions: dict[str, Seat] = field(init=False, repr=False, compare=False)
    _rows: tuple[tuple[Seat, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Indexes are built once: seat maps are read per request and searched per best-available call.
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "sections", tuple(self.sections))
        object.__setattr__(self, "seats", tuple(self.seats))
        if self.focus is None and self.seats:
            object.__setattr__(self, "focus", default_focus(self.seats))
        by_id: dict[str, Seat] = {}
        companions: dict[str, Seat] = {}
        for seat in self.seats:
            by_id.setdefault(seat.id, seat)
            if seat.kind is SeatKind.COMPANION and seat.companion_of is not None:
                companions.setdefault(seat.companion_of, seat)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_companions", companions)
        object.__setattr__(self, "_rows", _group_rows(self.seats, self.sections))

    @property
    def capacity(self) -> int:
        """How many people fit: the standing capacity, or the number of seats."""
        return self.standing_capacity if self.standing_capacity is not None else len(self.seats)

    @property
    def is_standing(self) -> bool:
        """True for a standing venue (no seats, a capacity)."""
        return self.standing_capacity is not None

    @property
    def rows(self) -> tuple[tuple[Seat, ...], ...]:
        """Seats grouped per (section, row), each row ordered by x; sections in declared order, front rows first."""
        return self._rows

    def seat(self, seat_id: str) -> Seat | None:
        """The seat with this id, or None when the hall has no such seat."""
        return self._by_id.get(seat_id)

    def companion(self, wheelchair_seat_id: str) -> Seat | None:
        """The companion seat that belongs to this wheelchair seat, if it has one."""
        return self._companions.get(wheelchair_seat_id)

    def capacity_by_category(self) -> dict[str, int]:
        """Number of seats per category code (declared categories without seats count 0)."""
        counts = {category.code: 0 for category in self.categories}
        for seat in self.seats:
            counts[seat.category] = counts.get(seat.category, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The map as a fresh `podium.seatmap/1` document; `parse_seatmap` reads it back equal."""
        return {
            "format": FORMAT,
            "name": self.name,
            "categories": [category.to_dict() for category in self.categories],
            "sections": [section.to_dict() for section in self.sections],
            "focus": self.focus.to_dict() if self.focus is not None else None,
            "seats": [seat.to_dict() for seat in self.seats],
            "standing": {"capacity": self.standing_capacity} if self.standing_capacity is not None else None,
        }


def default_focus(seats: tuple[Seat, ...] | list[Seat]) -> Point:
    """The default best viewing point: horizontally centred on all seats, level with the front-most seat."""
    xs = [seat.x for seat in seats]
    return Point((min(xs) + max(xs)) / 2, min(seat.y for seat in seats))


def _group_rows(seats: tuple[Seat, ...], sections: tuple[Section, ...]) -> tuple[tuple[Seat, ...], ...]:
    section_rank = {section.id: index for index, section in enumerate(sections)}
    grouped: dict[tuple[str, str], list[Seat]] = {}
    for seat in seats:
        grouped.setdefault((seat.section, seat.row), []).append(seat)
    rows = [sorted(row, key=lambda seat: (seat.x, seat.y, seat.number)) for row in grouped.values()]
    rows.sort(
        key=lambda row: (
            section_rank.get(row[0].section, len(section_rank)),
            row[0].section,
            sum(seat.y for seat in row) / len(row),
            row[0].row,
        )
    )
    return tuple(tuple(row) for row in rows)


# --------------------------------------------------------------------------- parsing


class _Problems:
    """Collects field errors; stops collecting (but remembers it did) after MAX_ERRORS."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.truncated = False

    def add(self, path: str, code: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(path, code, message))
        else:
            self.truncated = True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _check_keys(obj: dict[str, Any], allowed: tuple[str, ...], path: str, problems: _Problems) -> None:
    # Strict on purpose: a typo such as "catgory" must not silently become a default.
    for key in obj:
        if key not in allowed:
            problems.add(_join(path, key), "unknown_field", f"Unknown field {key!r}.")


def _text(
    obj: dict[str, Any],
    key: str,
    path: str,
    problems: _Problems,
    pattern: re.Pattern[str] | None = None,
    max_length: int = MAX_NAME_LENGTH,
    what: str = "text",
) -> str | None:
    """A required string field; returns None (after reporting) when missing or invalid."""
    value = obj.get(key)
    if type(value) is str:
        if pattern is not None:
            if pattern.fullmatch(value):
                return value
            problems.add(_join(path, key), "invalid_value", f"{key} must be {what}.")
            return None
        if 0 < len(value) <= max_length and not value.isspace():
            return value
        problems.add(_join(path, key), "invalid_value", f"{key} must be non-empty and at most {max_length} characters.")
        return None
    if value is None:
        problems.add(_join(path, key), "required", f"{key} is required.")
    elif isinstance(value, str):  # a str subclass: accept its plain text
        return _text({key: str.__str__(value)}, key, path, problems, pattern, max_length, what)
    else:
        problems.add(_join(path, key), "invalid_type", f"{key} must be a string.")
    return None


def _number(obj: dict[str, Any], key: str, path: str, problems: _Problems) -> float | None:
    value = obj.get(key)
    if (
        type(value) is int or (type(value) is float and math.isfinite(value))
    ) and -MAX_COORDINATE <= value <= MAX_COORDINATE:
        return value
    if value is None:
        problems.add(_join(path, key), "required", f"{key} is required.")
    elif not _is_number(value):
        problems.add(_join(path, key), "invalid_type", f"{key} must be a finite number.")
    elif abs(value) > MAX_COORDINATE:
        problems.add(
            _join(path, key), "out_of_range", f"{key} must lie between -{MAX_COORDINATE} and {MAX_COORDINATE}."
        )
    else:
        return float(value) if isinstance(value, float) else int(value)  # int/float subclasses
    return None


def _names(obj: dict[str, Any], key: str, path: str, problems: _Problems) -> dict[str, str] | None:
    """A multilingual name: {"nl": …, "fr": …, "en": …}; Dutch is required."""
    where = _join(path, key)
    value = obj.get(key)
    if value is None:
        problems.add(where, "required", f"{key} is required.")
        return None
    if not isinstance(value, dict):
        problems.add(where, "invalid_type", f"{key} must be an object of language code to text.")
        return None
    names: dict[str, str] = {}
    ok = True
    for language, text in value.items():
        here = _join(where, language)
        if not isinstance(language, str) or not LANGUAGE_PATTERN.fullmatch(language):
            problems.add(here, "invalid_value", "Language codes are two lower-case letters (nl, fr, en …).")
            ok = False
        elif not isinstance(text, str):
            problems.add(here, "invalid_type", "A name must be a string.")
            ok = False
        elif not text.strip() or len(text) > MAX_NAME_LENGTH:
            problems.add(here, "invalid_value", f"A name must be non-empty and at most {MAX_NAME_LENGTH} characters.")
            ok = False
        else:
            names[language] = text
    if REQUIRED_LANGUAGE not in value:
        problems.add(_join(where, REQUIRED_LANGUAGE), "required", "A Dutch (nl) name is required.")
        ok = False
    return names if ok else None


def _list(data: dict[str, Any], key: str, problems: _Problems) -> list[Any] | None:
    """An optional list field (absent or null means empty); None when it is not a list."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(key, "invalid_type", f"{key} must be a list.")
        return None
    return value


_Named = TypeVar("_Named", Category, Section)


def _parse_named(
    data: dict[str, Any],
    problems: _Problems,
    *,
    key: str,
    id_key: str,
    pattern: re.Pattern[str],
    what: str,
    limit: int,
    too_many: str,
    duplicate: str,
    noun: str,
    make: Callable[[str, dict[str, str]], _Named],
) -> tuple[list[_Named], set[str]]:
    """Categories and sections alike: a list of `{id_key, name}` objects with unique ids."""
    raw = _list(data, key, problems)
    entries: list[_Named] = []
    ids: set[str] = set()
    if raw is None:
        return entries, ids
    if len(raw) > limit:
        problems.add(key, too_many, f"At most {limit} {key}.")
    for index, item in enumerate(raw):
        path = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.add(path, "invalid_type", f"A {noun} must be an object.")
            continue
        _check_keys(item, (id_key, "name"), path, problems)
        identifier = _text(item, id_key, path, problems, pattern, what=what)
        name = _names(item, "name", path, problems)
        if identifier is not None:
            if identifier in ids:
                problems.add(f"{path}.{id_key}", duplicate, f"{noun.capitalize()} {identifier} is declared twice.")
                continue
            ids.add(identifier)
        if identifier is not None and name is not None:
            entries.append(make(identifier, name))
    return entries, ids


def _parse_categories(data: dict[str, Any], problems: _Problems) -> tuple[list[Category], set[str]]:
    return _parse_named(
        data,
        problems,
        key="categories",
        id_key="code",
        pattern=CATEGORY_CODE_PATTERN,
        what="1 to 16 letters, digits, '_' or '-'",
        limit=MAX_CATEGORIES,
        too_many="too_many_categories",
        duplicate="duplicate_category_code",
        noun="category",
        make=Category,
    )


def _parse_sections(data: dict[str, Any], problems: _Problems) -> tuple[list[Section], set[str]]:
    return _parse_named(
        data,
        problems,
        key="sections",
        id_key="id",
        pattern=SECTION_ID_PATTERN,
        what="1 to 40 letters, digits, '_' or '-'",
        limit=MAX_SECTIONS,
        too_many="too_many_sections",
        duplicate="duplicate_section_id",
        noun="section",
        make=Section,
    )


@dataclass
class _RawSeat:
    """What could be read of one seat; None marks a field that was reported as invalid."""

    index: int
    id: str | None
    section: str | None
    row: str | None
    number: int | None
    x: float | None
    y: float | None
    category: str | None
    kind: SeatKind | None
    companion_of: str | None
    restricted_view: bool | None


def _coordinate_ok(value: Any) -> bool:
    kind = type(value)
    return (kind is int or (kind is float and math.isfinite(value))) and -MAX_COORDINATE <= value <= MAX_COORDINATE


def _quick_seat(item: dict[str, Any], index: int, section_ids: set[str], category_codes: set[str]) -> _RawSeat | None:
    """A well-formed seat read fast (a 5,000-seat map is parsed on every read); None means 'look closer'."""
    get = item.get
    seat_id, section, row, number = get("id"), get("section"), get("row"), get("number")
    x, y, category, kind = get("x"), get("y"), get("category"), get("kind", "standard")
    companion_of, restricted = get("companion_of"), get("restricted_view", False)
    # Types are checked before set membership: an unhashable value must not reach `in`.
    if (
        item.keys() <= _SEAT_KEY_SET
        and type(seat_id) is str
        and SEAT_ID_PATTERN.fullmatch(seat_id) is not None
        and type(section) is str
        and section in section_ids
        and type(row) is str
        and 0 < len(row) <= MAX_ROW_LENGTH
        and not row.isspace()
        and type(number) is int
        and 1 <= number <= MAX_SEAT_NUMBER
        and _coordinate_ok(x)
        and _coordinate_ok(y)
        and type(category) is str
        and category in category_codes
        and (kind is None or (type(kind) is str and kind in _KINDS))
        and (companion_of is None or type(companion_of) is str)
        and (restricted is None or type(restricted) is bool)
    ):
        return _RawSeat(
            index,
            seat_id,
            section,
            row,
            number,
            x,
            y,
            category,
            _KINDS[kind] if kind is not None else SeatKind.STANDARD,
            companion_of,
            bool(restricted),
        )
    return None


def _parse_seat(
    item: Any, index: int, section_ids: set[str], category_codes: set[str], problems: _Problems
) -> _RawSeat | None:
    if type(item) is dict:
        quick = _quick_seat(item, index, section_ids, category_codes)
        if quick is not None:
            return quick
    path = f"seats[{index}]"
    if not isinstance(item, dict):
        problems.add(path, "invalid_type", "A seat must be an object.")
        return None
    _check_keys(item, _SEAT_KEYS, path, problems)
    seat_id = _text(item, "id", path, problems, SEAT_ID_PATTERN, what="1 to 40 letters, digits, '_', '.' or '-'")
    section = _text(item, "section", path, problems, max_length=40)
    if section is not None and section not in section_ids:
        problems.add(f"{path}.section", "unknown_section", f"Section {section!r} is not declared in sections.")
    row = _text(item, "row", path, problems, max_length=MAX_ROW_LENGTH)
    number = item.get("number")
    if number is None:
        problems.add(f"{path}.number", "required", "number is required.")
    elif not _is_int(number):
        problems.add(f"{path}.number", "invalid_type", "number must be an integer.")
        number = None
    elif not 1 <= number <= MAX_SEAT_NUMBER:
        problems.add(f"{path}.number", "out_of_range", f"number must be between 1 and {MAX_SEAT_NUMBER}.")
        number = None
    x = _number(item, "x", path, problems)
    y = _number(item, "y", path, problems)
    category = _text(item, "category", path, problems, max_length=16)
    if category is not None and category not in category_codes:
        problems.add(f"{path}.category", "unknown_category", f"Category {category!r} is not declared in categories.")
    raw_kind = item.get("kind", SeatKind.STANDARD.value)
    kind: SeatKind | None = None
    if raw_kind is None:
        kind = SeatKind.STANDARD
    elif not isinstance(raw_kind, str):
        problems.add(f"{path}.kind", "invalid_type", "kind must be a string.")
    elif raw_kind not in _KINDS:
        problems.add(f"{path}.kind", "invalid_value", "kind must be standard, wheelchair or companion.")
    else:
        kind = _KINDS[raw_kind]
    companion_of = item.get("companion_of")
    if companion_of is not None and not isinstance(companion_of, str):
        problems.add(f"{path}.companion_of", "invalid_type", "companion_of must be a seat id or null.")
        companion_of = None
    restricted = item.get("restricted_view", False)
    if restricted is None:
        restricted = False
    elif not isinstance(restricted, bool):
        problems.add(f"{path}.restricted_view", "invalid_type", "restricted_view must be true or false.")
        restricted = None
    return _RawSeat(index, seat_id, section, row, number, x, y, category, kind, companion_of, restricted)


def _check_duplicates(seats: list[_RawSeat], problems: _Problems) -> dict[str, _RawSeat]:
    """Report repeated ids and positions; returns the first seat for every id."""
    by_id: dict[str, _RawSeat] = {}
    positions: dict[tuple[str, str, int], _RawSeat] = {}
    for seat in seats:
        path = f"seats[{seat.index}]"
        if seat.id is not None:
            first = by_id.setdefault(seat.id, seat)
            if first is not seat:
                problems.add(
                    f"{path}.id", "duplicate_seat_id", f"Seat id {seat.id} is also used by seats[{first.index}]."
                )
        if seat.section is not None and seat.row is not None and seat.number is not None:
            key = (seat.section, seat.row, seat.number)
            first = positions.setdefault(key, seat)
            if first is not seat:
                problems.add(
                    f"{path}.number",
                    "duplicate_seat_position",
                    f"Section {seat.section} row {seat.row} number {seat.number} is also seats[{first.index}].",
                )
    return by_id


def _check_companions(seats: list[_RawSeat], by_id: dict[str, _RawSeat], problems: _Problems) -> None:
    """A companion seat points to a wheelchair seat in its own row; a wheelchair seat has at most one."""
    claimed: dict[str, _RawSeat] = {}
    for seat in seats:
        path = f"seats[{seat.index}].companion_of"
        if seat.kind is None:
            continue
        if seat.kind is not SeatKind.COMPANION:
            if seat.companion_of is not None:
                problems.add(path, "invalid_companion", "Only a companion seat can have companion_of.")
            continue
        problem = None
        target = by_id.get(seat.companion_of) if seat.companion_of is not None else None
        if seat.companion_of is None:
            problem = "A companion seat must name its wheelchair seat in companion_of."
        elif target is None:
            problem = f"There is no seat {seat.companion_of}."
        elif target.kind is None:
            continue  # the target's own kind is already reported as invalid
        elif target.kind is not SeatKind.WHEELCHAIR:
            problem = f"Seat {seat.companion_of} is not a wheelchair seat."
        elif None not in (seat.section, target.section, seat.row, target.row) and (seat.section, seat.row) != (
            target.section,
            target.row,
        ):
            problem = f"Wheelchair seat {seat.companion_of} is not in the same section and row."
        elif seat.companion_of in claimed:
            problem = (
                f"Wheelchair seat {seat.companion_of} already has a companion "
                f"(seats[{claimed[seat.companion_of].index}])."
            )
        if problem is not None:
            problems.add(path, "invalid_companion", problem)
        elif seat.companion_of is not None:  # always so when no problem was found
            claimed[seat.companion_of] = seat


# A seat with both coordinates read, and those coordinates.
_Placed = tuple[_RawSeat, float, float]

# Grid cells are keyed by one int, (floor(x) + _CELL_SHIFT) << _CELL_BITS | (floor(y) + _CELL_SHIFT):
# cheaper than tuples, and exact because coordinates are bounded by MAX_COORDINATE.
_CELL_BITS = 18
_CELL_SHIFT = 1 << 17
# Four of the eight neighbours (right, and the one above): each neighbouring pair of cells is met once.
_FORWARD = ((1 << _CELL_BITS) - 1, 1 << _CELL_BITS, (1 << _CELL_BITS) + 1, 1)


def _check_overlaps(seats: list[_RawSeat], problems: _Problems) -> None:
    """Report every seat whose square overlaps an earlier seat's square, in O(n).

    Seats are bucketed in 1×1 grid cells (floor of x and y). Two seats in one cell always
    overlap, so a later seat in a cell is reported against the cell's first seat. Across
    neighbouring cells only each cell's first seat needs comparing with the other cell's
    earlier seats, which keeps even a map with every seat piled on one spot linear.
    """
    floor = math.floor
    cells: dict[int, list[_Placed]] = {}
    placed = [(seat, seat.x, seat.y) for seat in seats if seat.x is not None and seat.y is not None]
    for entry in placed:
        key = (floor(entry[1]) + _CELL_SHIFT) << _CELL_BITS | (floor(entry[2]) + _CELL_SHIFT)
        members = cells.get(key)
        if members is None:
            cells[key] = [entry]
        else:
            members.append(entry)
    found: dict[int, _RawSeat] = {}

    def earliest_overlap(head: _Placed, members: list[_Placed]) -> None:
        # Members are in document order; only seats before `head` count, and the first hit is the earliest.
        head_seat, head_x, head_y = head
        for candidate, x, y in members:
            if candidate.index >= head_seat.index:
                return
            if abs(head_x - x) < 1 and abs(head_y - y) < 1:
                known = found.get(head_seat.index)
                if known is None or candidate.index < known.index:
                    found[head_seat.index] = candidate
                return

    for key, members in cells.items():
        head = members[0]
        for seat, _, _ in members[1:]:
            found[seat.index] = head[0]  # same cell: |dx| < 1 and |dy| < 1 by construction
        for offset in _FORWARD:
            neighbours = cells.get(key + offset)
            if neighbours is not None:
                earliest_overlap(head, neighbours)
                earliest_overlap(neighbours[0], members)
    for seat, _, _ in placed:
        other = found.get(seat.index)
        if other is not None:
            problems.add(
                f"seats[{seat.index}]",
                "overlapping_seats",
                f"Seat {seat.id or seat.index} overlaps seat {other.id or other.index} "
                f"(seats[{other.index}]); seats are 1×1 squares.",
            )


def _parse_standing(data: dict[str, Any], problems: _Problems) -> tuple[bool, int | None]:
    """Returns (declared, capacity): declared is True when `standing` is a non-null value."""
    value = data.get("standing")
    if value is None:
        return False, None
    if not isinstance(value, dict):
        problems.add("standing", "invalid_type", 'standing must be an object like {"capacity": 300} or null.')
        return True, None
    _check_keys(value, ("capacity",), "standing", problems)
    capacity = value.get("capacity")
    if capacity is None:
        problems.add("standing.capacity", "required", "capacity is required.")
        return True, None
    if not _is_int(capacity):
        problems.add("standing.capacity", "invalid_type", "capacity must be an integer.")
        return True, None
    if not 1 <= capacity <= MAX_STANDING_CAPACITY:
        problems.add("standing.capacity", "out_of_range", f"capacity must be between 1 and {MAX_STANDING_CAPACITY}.")
        return True, None
    return True, capacity


def _parse_focus(data: dict[str, Any], problems: _Problems) -> tuple[bool, Point | None]:
    """Returns (ok, point); a null or absent focus is ok and means 'use the default'."""
    value = data.get("focus")
    if value is None:
        return True, None
    if not isinstance(value, dict):
        problems.add("focus", "invalid_type", 'focus must be an object like {"x": 20, "y": 0} or null.')
        return False, None
    before = len(problems.errors) + problems.truncated
    _check_keys(value, ("x", "y"), "focus", problems)
    x = _number(value, "x", "focus", problems)
    y = _number(value, "y", "focus", problems)
    if x is None or y is None or len(problems.errors) + problems.truncated != before:
        return False, None
    return True, Point(x, y)


def _complete(raw: _RawSeat) -> Seat:
    """The seat of a raw seat of which every field was read (no problem was reported)."""
    assert (
        raw.id is not None
        and raw.section is not None
        and raw.row is not None
        and raw.number is not None
        and raw.x is not None
        and raw.y is not None
        and raw.category is not None
        and raw.kind is not None
        and raw.restricted_view is not None
    )
    return Seat(
        raw.id,
        raw.section,
        raw.row,
        raw.number,
        raw.x,
        raw.y,
        raw.category,
        raw.kind,
        raw.companion_of,
        raw.restricted_view,
    )


def parse_seatmap(data: Any) -> SeatMap:
    """Check a `podium.seatmap/1` document and build its SeatMap.

    Raises SeatMapInvalid listing every problem found (field path, stable code, message).
    """
    problems = _Problems()
    if not isinstance(data, dict):
        problems.add("", "invalid_type", "A seat map is a JSON object.")
        raise SeatMapInvalid("The seat map is not valid.", problems.errors)
    _check_keys(data, _TOP_KEYS, "", problems)
    fmt = data.get("format")
    if fmt is None:
        problems.add("format", "required", f"format is required and must be {FORMAT!r}.")
    elif fmt != FORMAT:
        problems.add("format", "unsupported_format", f"Only format {FORMAT!r} is supported.")
    name = _text(data, "name", "", problems)
    categories, category_codes = _parse_categories(data, problems)
    sections, section_ids = _parse_sections(data, problems)
    focus_ok, focus = _parse_focus(data, problems)
    standing_declared, standing_capacity = _parse_standing(data, problems)

    raw_seats = _list(data, "seats", problems)
    seats: list[_RawSeat] = []
    if raw_seats is not None:
        if len(raw_seats) > MAX_SEATS:
            problems.add("seats", "too_many_seats", f"A hall has at most {MAX_SEATS} seats.")
        for index, item in enumerate(raw_seats):
            seat = _parse_seat(item, index, section_ids, category_codes, problems)
            if seat is not None:
                seats.append(seat)
        by_id = _check_duplicates(seats, problems)
        _check_companions(seats, by_id, problems)
        _check_overlaps(seats, problems)
        if standing_declared and raw_seats:
            problems.add("standing", "seats_and_standing", "A hall has either seats or a standing capacity, not both.")
        elif not standing_declared and not raw_seats:
            problems.add("seats", "no_seats", "A hall needs seats, or a standing capacity in standing.")

    if problems.truncated:
        problems.errors.append(FieldError("", "too_many_errors", f"Only the first {MAX_ERRORS} problems are listed."))
    if problems.errors:
        raise SeatMapInvalid("The seat map is not valid.", problems.errors)
    # No problems means every field above was read successfully.
    assert name is not None and focus_ok
    return SeatMap(
        name=name,
        categories=tuple(categories),
        sections=tuple(sections),
        seats=tuple(_complete(seat) for seat in seats),
        standing_capacity=standing_capacity,
        focus=focus,
    )
