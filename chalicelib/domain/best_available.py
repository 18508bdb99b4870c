"""Best available: which free seats to offer a party that did not pick seats itself.

Seats are adjacent when they are consecutive in their row (same section and row, ordered by x)
and at most ADJACENT_GAP apart; a bigger gap is an aisle. A *run* is a maximal stretch of
adjacent seats that may all be given; a *block* is a stretch of a run.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import FieldError, NotEnoughSeats, ValidationFailed
from .seatmap import Point, Seat, SeatKind, SeatMap, default_focus

ADJACENT_GAP = 1.5
# How many starting blocks the multi-block fallback tries; a few give good results, more only cost time.
FALLBACK_ANCHORS = 6
# How many wheelchair places are tried as the first place of a group.
WHEELCHAIR_ANCHORS = 4


@dataclass(eq=False)
class _Run:
    """A maximal stretch of adjacent seats that may be given; `rank` orders rows as the seat map does."""

    rank: int
    start: int  # position of seats[0] in its row, to return seats in map order
    section: str
    row: str
    seats: list[Seat]
    min_x: float = 0.0
    max_x: float = 0.0
    min_y: float = 0.0
    max_y: float = 0.0

    def __post_init__(self) -> None:
        xs = [seat.x for seat in self.seats]
        ys = [seat.y for seat in self.seats]
        self.min_x, self.max_x, self.min_y, self.max_y = min(xs), max(xs), min(ys), max(ys)

    def box_distance2(self, target: Point) -> float:
        """Squared distance from target to the run's bounding box: no block centre in the run is nearer."""
        dx = max(self.min_x - target.x, 0.0, target.x - self.max_x)
        dy = max(self.min_y - target.y, 0.0, target.y - self.max_y)
        return dx * dx + dy * dy


@dataclass(frozen=True)
class _Block:
    """Seats [start, start+size) of a run, with what the ranking needs."""

    run: _Run
    start: int
    size: int
    restricted: int
    centre: Point

    @property
    def seats(self) -> list[Seat]:
        return self.run.seats[self.start : self.start + self.size]

    def order_keys(self) -> list[tuple[int, int]]:
        return [(self.run.rank, self.run.start + self.start + offset) for offset in range(self.size)]


def choose_best_available(
    seatmap: SeatMap, free_seat_ids: Collection[str], count: int, wheelchair: int = 0, category: str | None = None
) -> list[str]:
    """Pick `count` free seats for one party, best first; ids are returned in seat-map order.

    Without wheelchair places, only standard seats are given. The choice, in order of preference:

    1. One block of `count` adjacent seats in one row. Among those: fewest restricted-view seats,
       then the block centre (mean of its seats) closest to the map's focus, then the earlier row
       (seat-map order) and leftmost block.
    2. Otherwise, the fewest blocks k that can hold the party (the k longest runs suffice).
       Several groups are tried, each started from a run that can begin a group of k blocks: the
       six nearest the focus, the nearest run of each of up to six lengths, and a longest run; the
       starting block is the best-placed one for the focus. Each group is then filled greedily with
       the runs nearest that first block — same section first, then by distance, so neighbouring
       rows come first — taking as many seats from each as still needed while k blocks stay
       reachable. Among the groups: fewest restricted-view seats, then fewest sections, then the
       smallest summed distance of its seats to the first block's centre, then the group's centre
       closest to the focus.

    With `wheelchair` = w > 0: exactly w wheelchair seats; each brings its companion seat (if it has
    one; both must be free), and companion seats are never given otherwise. Up to four choices are
    tried, each started from one of the places nearest the focus and completed with the places
    nearest to it (as long as the companions still fit in `count`). The remaining seats are standard
    seats chosen by rules 1 and 2, measured from the centre of the chosen places instead of the
    focus and preferring the places' own rows. Among the choices: fewest restricted-view seats, then
    fewest blocks of standard seats, then the smallest summed distance of all seats to the places'
    centre, then that centre closest to the focus.

    With `category`: only seats (companions included) of that category.
    Raises ValidationFailed for bad arguments, NotEnoughSeats when no such choice exists.
    """
    focus = _check_arguments(seatmap, count, wheelchair, category)
    free = free_seat_ids if isinstance(free_seat_ids, (set, frozenset)) else set(free_seat_ids)
    runs, places = _scan(seatmap, free, category, with_places=wheelchair > 0)
    if wheelchair == 0:
        blocks = _choose_blocks(runs, count, focus, set())
        keys = [key for block in blocks for key in block.order_keys()]
        seats = [seat for block in blocks for seat in block.seats]
    else:
        keyed = _choose_with_wheelchairs(seatmap, runs, places, count, wheelchair, category, focus)
        keys = [key for key, _ in keyed]
        seats = [seat for _, seat in keyed]
    return [seat.id for _, seat in sorted(zip(keys, seats), key=lambda pair: pair[0])]


def _check_arguments(seatmap: SeatMap, count: int, wheelchair: int, category: str | None) -> Point:
    errors = []
    if isinstance(count, bool) or not isinstance(count, int):
        errors.append(FieldError("count", "invalid_type", "count must be an integer."))
    elif count < 1:
        errors.append(FieldError("count", "out_of_range", "Ask for at least one seat."))
    if isinstance(wheelchair, bool) or not isinstance(wheelchair, int):
        errors.append(FieldError("wheelchair", "invalid_type", "wheelchair must be an integer."))
    elif wheelchair < 0:
        errors.append(FieldError("wheelchair", "out_of_range", "wheelchair cannot be negative."))
    elif not errors and wheelchair > count:
        errors.append(FieldError("wheelchair", "out_of_range", "More wheelchair places than seats asked for."))
    if category is not None and category not in {c.code for c in seatmap.categories}:
        errors.append(FieldError("category", "unknown_category", f"The hall has no category {category!r}."))
    if seatmap.is_standing or not seatmap.seats:
        errors.append(FieldError("seatmap", "not_seated", "A standing venue has no seats to choose."))
    if errors:
        raise ValidationFailed("Best available cannot be asked like this.", errors)
    return seatmap.focus if seatmap.focus is not None else default_focus(seatmap.seats)


@dataclass(frozen=True)
class _Place:
    """A free wheelchair seat with its companion seat (None when it has none)."""

    wheelchair: Seat
    companion: Seat | None
    keys: tuple[tuple[int, int], ...]

    @property
    def seats(self) -> list[Seat]:
        return [self.wheelchair] if self.companion is None else [self.wheelchair, self.companion]

    @property
    def centre(self) -> Point:
        seats = self.seats
        return Point(sum(s.x for s in seats) / len(seats), sum(s.y for s in seats) / len(seats))


def _scan(
    seatmap: SeatMap, free: Collection[str], category: str | None, with_places: bool
) -> tuple[list[_Run], list[_Place]]:
    """One pass over the rows: runs of free standard seats and (if asked) free wheelchair places."""
    runs: list[_Run] = []
    wheelchairs: list[tuple[Seat, tuple[int, int]]] = []
    positions: dict[str, tuple[int, int]] = {}
    standard = SeatKind.STANDARD
    for rank, row in enumerate(seatmap.rows):
        current: list[Seat] = []
        start = 0
        previous_x = 0.0  # read only once `current` has a seat
        for position, seat in enumerate(row):
            eligible = seat.id in free and (category is None or seat.category == category)
            if with_places and eligible and seat.kind is not standard:
                positions[seat.id] = (rank, position)
                if seat.kind is SeatKind.WHEELCHAIR:
                    wheelchairs.append((seat, (rank, position)))
            if eligible and seat.kind is standard:
                if current and seat.x - previous_x > ADJACENT_GAP:
                    runs.append(_Run(rank, start, seat.section, seat.row, current))
                    current = []
                if not current:
                    start = position
                current.append(seat)
                previous_x = seat.x
            elif current:
                # A taken, wheelchair or other-category seat breaks the run, whatever the distance.
                runs.append(_Run(rank, start, current[0].section, current[0].row, current))
                current = []
        if current:
            runs.append(_Run(rank, start, current[0].section, current[0].row, current))
    places = []
    for seat, key in wheelchairs:
        companion = seatmap.companion(seat.id)
        if companion is None:
            places.append(_Place(seat, None, (key,)))
        elif companion.id in positions:  # free and of the asked category
            places.append(_Place(seat, companion, (key, positions[companion.id])))
    return runs, places


def _distance2(a: Point, b: Point) -> float:
    return (a.x - b.x) ** 2 + (a.y - b.y) ** 2


def _best_block(runs: Iterable[_Run], size: int, target: Point, prefer_rows: set[tuple[str, str]]) -> _Block | None:
    """The best block of `size` seats: fewest restricted, preferred rows, nearest target, map order.

    Runs are visited nearest first and the search stops once no unvisited run can beat the best
    block found (the bounding box bounds every block centre), so a full hall costs a few rows.
    """
    candidates = []
    for run in runs:
        if len(run.seats) >= size:
            preferred = 0 if (run.section, run.row) in prefer_rows else 1
            candidates.append(((preferred, run.box_distance2(target), run.rank, run.start), run))
    candidates.sort(key=lambda item: item[0])
    best_key = None
    best = None
    for (preferred, bound, _, _), run in candidates:
        if best_key is not None and best_key[:3] < (0, preferred, bound):
            break
        seats = run.seats
        sum_x = sum(seat.x for seat in seats[:size])
        sum_y = sum(seat.y for seat in seats[:size])
        restricted = sum(1 for seat in seats[:size] if seat.restricted_view)
        for start in range(len(seats) - size + 1):
            if start:
                gone, added = seats[start - 1], seats[start + size - 1]
                sum_x += added.x - gone.x
                sum_y += added.y - gone.y
                restricted += added.restricted_view - gone.restricted_view
            dx = sum_x / size - target.x
            dy = sum_y / size - target.y
            # Rounded so that mirror-image blocks tie exactly and the map order decides.
            key = (restricted, preferred, round(dx * dx + dy * dy, 9), run.rank, run.start + start)
            if best_key is None or key < best_key:
                best_key, best = key, (run, start, restricted)
    if best is None:
        return None
    run, start, restricted = best
    return _make_block(run, start, size, restricted)


def _make_block(run: _Run, start: int, size: int, restricted: int | None = None) -> _Block:
    seats = run.seats[start : start + size]
    if restricted is None:
        restricted = sum(1 for seat in seats if seat.restricted_view)
    centre = Point(sum(seat.x for seat in seats) / size, sum(seat.y for seat in seats) / size)
    return _Block(run, start, size, restricted, centre)


def _choose_blocks(runs: list[_Run], count: int, target: Point, prefer_rows: set[tuple[str, str]]) -> list[_Block]:
    """`count` seats in as few blocks as possible, best first (see choose_best_available)."""
    single = _best_block(runs, count, target, prefer_rows)
    if single is not None:
        return [single]
    ascending = sorted(len(run.seats) for run in runs)
    if sum(ascending) < count:
        raise NotEnoughSeats(
            f"Only {sum(ascending)} suitable seats are free.", requested=count, available=sum(ascending)
        )
    blocks_needed, covered = 0, 0
    while covered < count:
        blocks_needed += 1
        covered += ascending[-blocks_needed]
    best_key, best_group = None, None
    for attempt, anchor in enumerate(_anchors(runs, ascending, count, blocks_needed, target)):
        group = _grow_group(runs, ascending, anchor, count, blocks_needed, prefer_rows, target)
        key = _group_key(group, target) + (attempt,)
        if best_key is None or key < best_key:
            best_key, best_group = key, group
    assert best_group is not None  # there is always at least one anchor
    return best_group


def _anchors(runs: list[_Run], ascending: list[int], count: int, blocks_needed: int, target: Point) -> list[_Run]:
    """Runs to start a group from: nearest the target first, and the nearest of each of a few lengths.

    Only runs that can start a group of `blocks_needed` blocks qualify; a longest run always can.
    Trying several lengths matters: the nearest runs may be short and force a far-away long one in.
    """
    others = blocks_needed - 1
    top = sum(ascending[len(ascending) - others :])  # the `others` longest lengths
    threshold = ascending[len(ascending) - others]  # the others-th longest length

    def can_start(length: int) -> bool:
        # The `others` longest of the *other* runs: this run's length leaves that top if it was in it.
        rest = top + ascending[len(ascending) - others - 1] - length if length >= threshold else top
        return count - min(length, count) <= rest

    anchors: list[_Run] = []
    lengths_seen: set[int] = set()
    by_distance = sorted(runs, key=lambda run: (run.box_distance2(target), run.rank, run.start))
    for run in by_distance:
        length = len(run.seats)
        nearest = len(anchors) < FALLBACK_ANCHORS
        new_length = length not in lengths_seen and len(lengths_seen) < FALLBACK_ANCHORS
        if (nearest or new_length) and can_start(length):
            anchors.append(run)
            lengths_seen.add(length)
        elif len(anchors) >= FALLBACK_ANCHORS and len(lengths_seen) >= FALLBACK_ANCHORS:
            break
    longest = ascending[-1]
    if longest not in lengths_seen:
        anchors.append(next(run for run in by_distance if len(run.seats) == longest))
    return anchors


def _grow_group(
    runs: list[_Run],
    ascending: list[int],
    anchor: _Run,
    count: int,
    blocks_needed: int,
    prefer_rows: set[tuple[str, str]],
    target: Point,
) -> list[_Block]:
    """Greedy: the anchor's best block, then the nearest runs that keep `blocks_needed` reachable.

    The caller only passes anchors that can start such a group, so this always completes.
    """
    take = min(len(anchor.seats), count)
    first = _best_block([anchor], take, target, prefer_rows)
    assert first is not None
    group = [first]
    needed, blocks_left = count - take, blocks_needed - 1
    centre = first.centre
    # Lengths (ascending) of runs not yet passed over; a run passed over is never needed later,
    # because it was too short while every run that could finish the group was still in the pool.
    pool = list(ascending)
    del pool[bisect_left(pool, len(anchor.seats))]
    # Nearest runs first, same section before others; a heap, as usually only a few are looked at.
    cx, cy, section = centre.x, centre.y, anchor.section
    order = []
    for index, run in enumerate(runs):
        if run is not anchor:
            dx = max(run.min_x - cx, 0.0, cx - run.max_x)
            dy = max(run.min_y - cy, 0.0, cy - run.max_y)
            order.append((run.section != section, dx * dx + dy * dy, run.rank, run.start, index))
    heapq.heapify(order)
    while needed and order:
        run = runs[heapq.heappop(order)[-1]]
        length = len(run.seats)
        del pool[bisect_left(pool, length)]
        take = min(length, needed)
        # Can the rest still be done in blocks_left - 1 blocks from runs not yet passed over?
        if needed - take <= _top_sum(pool, blocks_left - 1):
            block = _best_block([run], take, centre, prefer_rows)
            assert block is not None
            group.append(block)
            needed -= take
            blocks_left -= 1
    assert needed == 0
    return group


def _top_sum(ascending: list[int], taken: int) -> int:
    """Sum of the `taken` largest lengths of an ascending list."""
    return sum(ascending[len(ascending) - taken :]) if taken > 0 else 0


def _group_key(blocks: list[_Block], target: Point) -> tuple[Any, ...]:
    centre = blocks[0].centre
    seats = [seat for block in blocks for seat in block.seats]
    restricted = sum(block.restricted for block in blocks)
    sections = len({block.run.section for block in blocks})
    spread = sum(math.hypot(seat.x - centre.x, seat.y - centre.y) for seat in seats)
    middle = Point(sum(s.x for s in seats) / len(seats), sum(s.y for s in seats) / len(seats))
    return (restricted, sections, round(spread, 9), _distance2(middle, target))


def _choose_with_wheelchairs(
    seatmap: SeatMap,
    runs: list[_Run],
    places: list[_Place],
    count: int,
    wheelchair: int,
    category: str | None,
    focus: Point,
) -> list[tuple[tuple[int, int], Seat]]:
    """Exactly `wheelchair` places (each with its companion) plus standard seats up to `count`."""
    _check_room_for_companions(seatmap, count, wheelchair, category)
    standard_free = sum(len(run.seats) for run in runs)
    # Companions count towards `count`: c places with a companion leave count - wheelchair - c standard seats.
    min_companions = max(0, count - wheelchair - standard_free)
    max_companions = count - wheelchair
    with_companion = sum(1 for place in places if place.companion is not None)
    if not _can_finish(wheelchair, 0, with_companion, len(places) - with_companion, min_companions, max_companions):
        raise NotEnoughSeats(
            "Not enough free wheelchair places (with their companion seats) and seats.",
            requested=count,
            wheelchair=wheelchair,
        )
    alone = len(places) - with_companion
    by_focus = sorted(range(len(places)), key=lambda i: (_distance2(places[i].centre, focus), places[i].keys))
    best_key, best = None, None
    tried = 0
    for anchor in by_focus:
        if tried == WHEELCHAIR_ANCHORS:
            break
        has = places[anchor].companion is not None
        if not _can_finish(
            wheelchair - 1, has, with_companion - has, alone - (not has), min_companions, max_companions
        ):
            continue  # this kind of place cannot be part of any valid choice
        chosen = _pick_places(places, anchor, wheelchair, with_companion, alone, min_companions, max_companions)
        if chosen is None:
            continue
        tried += 1
        place_seats = [seat for place in chosen for seat in place.seats]
        middle = Point(
            sum(s.x for s in place_seats) / len(place_seats), sum(s.y for s in place_seats) / len(place_seats)
        )
        rest = count - len(place_seats)
        blocks = _choose_blocks(runs, rest, middle, {(s.section, s.row) for s in place_seats}) if rest else []
        seats = place_seats + [seat for block in blocks for seat in block.seats]
        key = (
            sum(seat.restricted_view for seat in seats),
            len(blocks),
            round(sum(math.hypot(s.x - middle.x, s.y - middle.y) for s in seats), 9),
            _distance2(middle, focus),
            tried,
        )
        if best_key is None or key < best_key:
            keyed = [(key_, seat) for place in chosen for key_, seat in zip(place.keys, place.seats)]
            keyed += [(key_, seat) for block in blocks for key_, seat in zip(block.order_keys(), block.seats)]
            best_key, best = key, keyed
    assert best is not None  # _can_finish above guarantees a feasible pick from some anchor
    return best


def _check_room_for_companions(seatmap: SeatMap, count: int, wheelchair: int, category: str | None) -> None:
    """Refuse a count that cannot hold `wheelchair` places of this hall together with their companions."""
    alone = paired = 0
    for seat in seatmap.seats:
        if seat.kind is not SeatKind.WHEELCHAIR or (category is not None and seat.category != category):
            continue
        companion = seatmap.companion(seat.id)
        if companion is None:
            alone += 1
        elif category is None or companion.category == category:
            paired += 1
    if alone + paired < wheelchair:
        raise NotEnoughSeats(
            f"This hall has {alone + paired} wheelchair places.", requested=count, wheelchair=wheelchair
        )
    smallest = wheelchair + max(0, wheelchair - alone)
    if count < smallest:
        raise ValidationFailed(
            "Every wheelchair place comes with its companion seat.",
            [
                FieldError(
                    "count",
                    "count_too_small",
                    f"{wheelchair} wheelchair place(s) with companion seat(s) need a count of at least {smallest}.",
                )
            ],
        )


def _can_finish(
    places_left: int, companions: int, free_paired: int, free_alone: int, min_companions: int, max_companions: int
) -> bool:
    """Can `places_left` more places be picked from the free pools so the companion total stays in range?"""
    low = max(0, places_left - free_alone, min_companions - companions)
    high = min(places_left, free_paired, max_companions - companions)
    return low <= high


def _pick_places(
    places: list[_Place],
    anchor: int,
    wheelchair: int,
    paired: int,
    alone: int,
    min_companions: int,
    max_companions: int,
) -> list[_Place] | None:
    """The anchor place, then the places nearest to it, as long as the companion count can still fit."""
    centre = places[anchor].centre
    order = [anchor] + sorted(
        (i for i in range(len(places)) if i != anchor),
        key=lambda i: (
            places[i].wheelchair.section != places[anchor].wheelchair.section,
            _distance2(places[i].centre, centre),
            places[i].keys,
        ),
    )
    chosen: list[_Place] = []
    companions = 0
    for index in order:
        if len(chosen) == wheelchair:
            break
        place = places[index]
        has = place.companion is not None
        paired -= has
        alone -= not has
        # Passed-over places leave the pools: a place that does not fit now will not fit later either.
        if _can_finish(wheelchair - len(chosen) - 1, companions + has, paired, alone, min_companions, max_companions):
            chosen.append(place)
            companions += has
        elif index == anchor:
            return None
    return chosen if len(chosen) == wheelchair else None
