"""Catalog repository: houses, venues, productions and performances.

A performance keeps its own copy of the hall's seat map, so later edits of the venue never
change what was sold. Creating one claims its id first: the performance item is put on condition
that no item has its key, marked `creating` and left out of every listing. Only then are its seat
map copy and seats (or standing shards) written, each on condition that it does not exist, and
last the mark is removed. A performance still `creating` is NotFound to every reader, so nobody
holds or sells one whose seats are not all there; a create that fails half-way takes back what it
wrote, and a colliding id (any house's) is refused before anything is written.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from functools import lru_cache
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.catalog import House, Performance, PerformanceStatus, Production, Tariff, utcnow
from ..domain.errors import AlreadyExists, Conflict, NotFound
from ..domain.seatmap import SeatMap, parse_seatmap
from ..domain.waiting_room import WaitingRoom
from .cache import TtlCache
from .models import (
    HouseItem,
    PerformanceItem,
    ProductionItem,
    SeatItem,
    SeatMapItem,
    StandingShardItem,
    TariffMap,
    VenueItem,
    any_condition_failed,
    house_key,
    is_condition_failure,
    performance_key,
    seat_key,
    standing_shard_key,
    transaction_connection,
)

# TransactWriteItems takes at most 100 items; a performance's seats are written in chunks of this many.
CHILDREN_PER_TRANSACTION = 100
# A claim waits in this index (sorted by when it was made) until its performance is shown: a create whose
# Lambda stopped half-way leaves one there, which the sweeper takes back.
CLAIMS_INDEX_KEY = "PERF_CLAIMS"


def _pack(seatmap: SeatMap) -> bytes:
    return zlib.compress(json.dumps(seatmap.to_dict(), separators=(",", ":")).encode(), 6)


def _unpack(blob: bytes) -> SeatMap:
    return parse_seatmap(json.loads(zlib.decompress(blob)))


def _conditional_put(item, what: str) -> None:
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            raise AlreadyExists(f"{what} already exists.") from error
        raise


# -- houses -----------------------------------------------------------------------------------


def create_house(house: House) -> None:
    """Add a house to the cluster; its id must be new."""
    item = HouseItem(
        house_key(house.id),
        "HOUSE",
        name=house.name,
        slug=house.slug,
        website_domains=list(house.website_domains),
        logo_url=house.logo_url,
        brand_color=house.brand_color,
        gsi1pk="HOUSES",
        gsi1sk=house.id,
    )
    _conditional_put(item, f"House {house.id}")
    _listings.clear()


def get_house(house_id: str) -> House:
    """The house with this id, or NotFound."""
    try:
        item = HouseItem.get(house_key(house_id), "HOUSE")
    except DoesNotExist:
        raise NotFound("No such house.", house_id=house_id) from None
    return _house(house_id, item)


def list_houses() -> list[House]:
    """Every house of the cluster, by id."""
    return [_house(item.gsi1sk, item) for item in HouseItem.by_gsi1.query("HOUSES")]


def _house(house_id: str, item: HouseItem) -> House:
    return House(
        id=house_id,
        name=item.name,
        slug=item.slug,
        website_domains=tuple(item.website_domains or ()),
        logo_url=item.logo_url,
        brand_color=item.brand_color,
    )


# -- venues -----------------------------------------------------------------------------------


def create_venue(house_id: str, venue_id: str, seatmap: SeatMap) -> None:
    """Store a validated seat map as one of the house's venues."""
    item = VenueItem(
        house_key(house_id),
        f"VENUE#{venue_id}",
        venue_id=venue_id,
        house_id=house_id,
        name=seatmap.name,
        capacity=seatmap.capacity,
        seated=0 if seatmap.is_standing else 1,
        seatmap_zlib=_pack(seatmap),
    )
    _conditional_put(item, f"Venue {venue_id}")


def get_venue(house_id: str, venue_id: str) -> tuple[VenueItem, SeatMap]:
    """The house's venue and its seat map; another house's venue is NotFound (keyed by house)."""
    try:
        item = VenueItem.get(house_key(house_id), f"VENUE#{venue_id}")
    except DoesNotExist:
        raise NotFound("No such venue.", venue_id=venue_id) from None
    return item, _unpack(item.seatmap_zlib)


def list_venues(house_id: str) -> list[VenueItem]:
    """The house's venues (summaries, without decoding the maps)."""
    return list(
        VenueItem.query(
            house_key(house_id),
            VenueItem.sk.startswith("VENUE#"),
            attributes_to_get=["PK", "SK", "venue_id", "house_id", "name", "capacity", "seated"],
        )
    )


# -- productions ------------------------------------------------------------------------------


def create_production(production: Production) -> None:
    """Store a production of the house; its id must be new."""
    item = ProductionItem(
        house_key(production.house_id),
        f"PRODUCTION#{production.id}",
        production_id=production.id,
        house_id=production.house_id,
        title=production.title,
        genre=production.genre,
        description=production.description,
    )
    _conditional_put(item, f"Production {production.id}")


def get_production(house_id: str, production_id: str) -> Production:
    """The house's production; another house's is NotFound (keyed by house)."""
    try:
        item = ProductionItem.get(house_key(house_id), f"PRODUCTION#{production_id}")
    except DoesNotExist:
        raise NotFound("No such production.", production_id=production_id) from None
    return _production(item)


def list_productions(house_id: str) -> list[Production]:
    """The house's productions."""
    return [
        _production(item)
        for item in ProductionItem.query(house_key(house_id), ProductionItem.sk.startswith("PRODUCTION#"))
    ]


def _production(item: ProductionItem) -> Production:
    return Production(
        id=item.production_id,
        house_id=item.house_id,
        title=item.title,
        genre=item.genre,
        description=item.description or {},
    )


# -- performances -----------------------------------------------------------------------------

UNCHANGED = object()


def create_performance(performance: Performance, seatmap: SeatMap) -> None:
    """Claim the id, write the seat map copy and every seat (or standing shard), then show the performance.

    AlreadyExists (nothing written) when any item, of any house, has the performance's id."""
    _conditional_put(_performance_item(performance, creating=True), f"Performance {performance.id}")
    written: list[tuple[str, str]] = []
    try:
        write_children(performance, seatmap, written)
        show_performance(performance)
    except Exception:
        discard_claimed(performance, written)
        raise


def claim_in(transaction: TransactWrite, performance: Performance) -> None:
    """Add the claim of a new performance's id (its item, still `creating`) to a transaction."""
    transaction.save(_performance_item(performance, creating=True), condition=PerformanceItem.pk.does_not_exist())


def show_performance(performance: Performance) -> None:
    """End a claimed performance's creation: drop the mark and list it (conditional on the claim being its own)."""
    PerformanceItem(performance_key(performance.id), "PERF").update(
        actions=[
            PerformanceItem.creating.remove(),
            *(getattr(PerformanceItem, name).set(value) for name, value in _listing_keys(performance).items()),
        ],
        condition=PerformanceItem.creating.exists() & (PerformanceItem.house_id == performance.house_id),
    )
    _listings.clear()


def _children(performance: Performance, seatmap: SeatMap) -> list[SeatItem | StandingShardItem]:
    if seatmap.is_standing:
        return [
            StandingShardItem(*standing_shard_key(performance.id, shard), capacity=capacity, remaining=capacity)
            for shard, capacity in enumerate(split_capacity(seatmap.capacity, performance.standing_shards))
        ]
    pk = performance_key(performance.id)
    return [SeatItem(pk, seat_key(seat.id), state="free", version=0) for seat in seatmap.seats]


def write_children(performance: Performance, seatmap: SeatMap, written: list[tuple[str, str]]) -> None:
    """The seat map copy, then the seats or shards in transactions of CHILDREN_PER_TRANSACTION, each put only
    if absent; `written` collects the keys committed (a condition failure means an item is there already)."""
    what = f"Performance {performance.id}"
    _conditional_put(SeatMapItem(performance_key(performance.id), "SEATMAP", seatmap_zlib=_pack(seatmap)), what)
    written.append((performance_key(performance.id), "SEATMAP"))
    children = _children(performance, seatmap)
    for start in range(0, len(children), CHILDREN_PER_TRANSACTION):
        chunk = children[start : start + CHILDREN_PER_TRANSACTION]
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                for child in chunk:
                    transaction.save(child, condition=type(child).pk.does_not_exist())
        except TransactWriteError as error:
            if any_condition_failed(error):
                raise AlreadyExists(f"{what} already exists.") from error
            raise
        written.extend((child.pk, child.sk) for child in chunk)


def discard_claimed(performance: Performance, written: list[tuple[str, str]]) -> None:
    """Take back a create that failed after its claim: the children it wrote, then the claim, only while
    the performance is still `creating` (nobody can have held or sold any of them)."""
    with SeatItem.batch_write() as batch:
        for pk, sk in written:
            batch.delete(SeatItem(pk, sk))
    try:
        PerformanceItem(performance_key(performance.id), "PERF").delete(
            condition=PerformanceItem.creating.exists() & (PerformanceItem.house_id == performance.house_id)
        )
    except DeleteError as error:
        if not is_condition_failure(error):
            raise


def abandoned_claims(claimed_before: datetime) -> list[tuple[str, str, int]]:
    """Performances still `creating` that were claimed before `claimed_before`: (id, house, standing shards)."""
    return [
        (item.performance_id, item.house_id, int(item.standing_shards or 1))
        for item in PerformanceItem.by_gsi1.query(CLAIMS_INDEX_KEY, PerformanceItem.gsi1sk < claimed_before.isoformat())
        if item.creating
    ]


def discard_abandoned(performance_id: str, house_id: str, standing_shards: int) -> bool:
    """Take back a claim whose create stopped half-way: every child under its key and its standing shards, then
    the claim (only while still `creating`: nobody could hold or sell any of them). True if it was removed."""
    pk = performance_key(performance_id)
    children = [(item.pk, item.sk) for item in SeatItem.query(pk, attributes_to_get=["PK", "SK"]) if item.sk != "PERF"]
    children += [standing_shard_key(performance_id, shard) for shard in range(standing_shards)]
    with SeatItem.batch_write() as batch:
        for child_pk, child_sk in children:
            batch.delete(SeatItem(child_pk, child_sk))
    try:
        PerformanceItem(pk, "PERF").delete(
            condition=PerformanceItem.creating.exists() & (PerformanceItem.house_id == house_id)
        )
    except DeleteError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def split_capacity(capacity: int, shards: int) -> list[int]:
    """Split a standing capacity into `shards` near-equal parts that add up exactly."""
    base, extra = divmod(capacity, shards)
    return [base + (1 if index < extra else 0) for index in range(shards)]


def _listing_keys(performance: Performance) -> dict[str, str]:
    """The index keys that list a performance: the cluster's agenda and its house's performances."""
    order = f"{performance.starts_at.isoformat()}#{performance.id}"
    return {"gsi1pk": "AGENDA", "gsi1sk": order, "gsi2pk": f"{house_key(performance.house_id)}#PERF", "gsi2sk": order}


def _performance_item(performance: Performance, creating: bool = False) -> PerformanceItem:
    """The performance's item; `creating` ones carry the mark and, instead of the listing keys, their claim's."""
    listing: dict[str, Any] = (
        _listing_keys(performance)
        if not creating
        else {"gsi1pk": CLAIMS_INDEX_KEY, "gsi1sk": f"{utcnow().isoformat()}#{performance.id}"}
    )
    return PerformanceItem(
        performance_key(performance.id),
        "PERF",
        performance_id=performance.id,
        house_id=performance.house_id,
        production_id=performance.production_id,
        venue_id=performance.venue_id,
        starts_at=performance.starts_at,
        sales_start=performance.sales_start,
        sales_end=performance.sales_end,
        status=performance.status.value,
        tariffs=[TariffMap(code=t.code, name=t.name, prices=t.prices) for t in performance.tariffs],
        seated=1 if performance.seated else 0,
        capacity=performance.capacity,
        title=performance.title,
        venue_name=performance.venue_name,
        genre=performance.genre,
        currency=performance.currency,
        standing_shards=performance.standing_shards,
        waiting_room=performance.waiting_room.to_dict() if performance.waiting_room else None,
        creating=1 if creating else None,
        **listing,
    )


def get_performance(performance_id: str) -> Performance:
    """The performance with this id (public data), or NotFound."""
    try:
        item = PerformanceItem.get(performance_key(performance_id), "PERF")
    except DoesNotExist:
        raise NotFound("No such performance.", performance_id=performance_id) from None
    if item.creating:
        raise NotFound("No such performance.", performance_id=performance_id)
    return _performance(item)


def get_house_performance(house_id: str, performance_id: str) -> Performance:
    """The performance if it belongs to `house_id`; any other is NotFound to that house."""
    performance = get_performance(performance_id)
    if performance.house_id != house_id:
        raise NotFound("No such performance.", performance_id=performance_id)
    return performance


# The hosted agenda and `GET /agenda` list every house and performance on each view. Both change only
# through this module: this process's own writes drop the copies at once, other processes' show within
# LISTING_SECONDS (the summaries beside them are as old, services/availability.py).
LISTING_SECONDS = 3.0
_listings: TtlCache[list] = TtlCache(LISTING_SECONDS, max_entries=4)


def listed_agenda() -> list[Performance]:
    """`list_agenda()` as the buyers' pages show it: at most LISTING_SECONDS old."""
    return _listings.get("agenda", list_agenda)


def listed_houses() -> list[House]:
    """`list_houses()` at most LISTING_SECONDS old."""
    return _listings.get("houses", list_houses)


def list_agenda(limit: int = 500) -> list[Performance]:
    """The cluster's performances in start order."""
    return [_performance(item) for item in PerformanceItem.by_gsi1.query("AGENDA", limit=limit)]


def list_house_performances(house_id: str) -> list[Performance]:
    """One house's performances in start order (keyed by house, not filtered after reading)."""
    return [_performance(item) for item in PerformanceItem.by_gsi2.query(f"{house_key(house_id)}#PERF")]


def update_performance(
    house_id: str,
    performance_id: str,
    *,
    status: PerformanceStatus | None = None,
    sales_start=None,
    sales_end=None,
    expected_version: int | None = None,
    waiting_room: WaitingRoom | None | object = UNCHANGED,
) -> Performance:
    """Change status, sales window or waiting room (None: off); conditional on the caller's house owning it."""
    item = PerformanceItem(performance_key(performance_id), "PERF")
    actions: list[Action] = [PerformanceItem.version.add(1)]
    if status is not None:
        actions.append(PerformanceItem.status.set(status.value))
    if sales_start is not None:
        actions.append(PerformanceItem.sales_start.set(sales_start))
    if sales_end is not None:
        actions.append(PerformanceItem.sales_end.set(sales_end))
    if waiting_room is None:
        actions.append(PerformanceItem.waiting_room.remove())
    elif isinstance(waiting_room, WaitingRoom):  # not UNCHANGED
        actions.append(PerformanceItem.waiting_room.set(waiting_room.to_dict()))
    condition = (PerformanceItem.house_id == house_id) & PerformanceItem.creating.does_not_exist()
    if expected_version is not None:
        condition &= PerformanceItem.version == expected_version
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if is_condition_failure(error):
            get_house_performance(house_id, performance_id)  # NotFound for strangers
            raise Conflict("The performance changed meanwhile; reload and try again.") from error
        raise
    _listings.clear()
    return _performance(item)


@lru_cache(maxsize=256)
def get_performance_seatmap(performance_id: str) -> SeatMap:
    """The performance's own copy of its seat map (immutable, so cached per process)."""
    try:
        item = SeatMapItem.get(performance_key(performance_id), "SEATMAP")
    except DoesNotExist:
        raise NotFound("No such performance.", performance_id=performance_id) from None
    return _unpack(item.seatmap_zlib)


def _performance(item: PerformanceItem) -> Performance:
    return Performance(
        id=item.performance_id,
        house_id=item.house_id,
        production_id=item.production_id,
        venue_id=item.venue_id,
        starts_at=item.starts_at,
        sales_start=item.sales_start,
        sales_end=item.sales_end,
        status=PerformanceStatus(item.status),
        tariffs=tuple(Tariff(code=t.code, name=t.name, prices=t.prices) for t in item.tariffs),
        seated=bool(item.seated),
        capacity=int(item.capacity),
        title=item.title,
        venue_name=item.venue_name,
        genre=item.genre or "",
        currency=item.currency,
        standing_shards=int(item.standing_shards or 1),
        waiting_room=WaitingRoom.from_dict(item.waiting_room) if item.waiting_room else None,
    )
