"""PynamoDB models of the cluster's single table.

Key design (PK / SK, GSIs `gsi1` and `gsi2`):

| item            | PK                 | SK                | gsi1 (pk / sk)                       | gsi2 (pk / sk)                 |
|-----------------|--------------------|-------------------|--------------------------------------|--------------------------------|
| house           | HOUSE#h            | HOUSE             | HOUSES / h                           |                                |
| venue           | HOUSE#h            | VENUE#v           |                                      |                                |
| production      | HOUSE#h            | PRODUCTION#p      |                                      |                                |
| performance     | PERF#p             | PERF              | AGENDA / starts_at#p                 | HOUSE#h#PERF / starts_at#p     |
| seat map copy   | PERF#p             | SEATMAP           |                                      |                                |
| seat            | PERF#p             | SEAT#s            |                                      |                                |
| standing shard  | PERF#p             | STANDING#k        |                                      |                                |
| hold            | HOLD#id            | HOLD              | PERF#p#HOLDS / expires_at (live only)|                                |

Seats of one performance share a partition so availability is one Query, never a scan.
"""
from __future__ import annotations

import os

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..settings import get_settings


class _Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    """Base of every item: the table name and region come from the stage's environment."""

    class Meta:
        table_name = get_settings().table_name
        region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
        # Many threads share one client in the local gateway; keep connections pooled.
        max_pool_connections = 64

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class HouseItem(TableItem):
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    website_domains = ListAttribute(of=UnicodeAttribute, default=list)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class VenueItem(TableItem):
    venue_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    name = UnicodeAttribute()
    capacity = NumberAttribute()
    seated = NumberAttribute()  # 1 or 0; kept numeric for projections
    seatmap_zlib = BinaryAttribute(legacy_encoding=False)  # a 5,000-seat map is ~1 MB as JSON


class ProductionItem(TableItem):
    production_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    title = JSONAttribute()
    genre = UnicodeAttribute(default="")
    description = JSONAttribute(default=dict)


class TariffMap(MapAttribute):
    code = UnicodeAttribute()
    name = JSONAttribute()
    prices = JSONAttribute()


class PerformanceItem(TableItem):
    performance_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    production_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    sales_start = UTCDateTimeAttribute()
    sales_end = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    tariffs = ListAttribute(of=TariffMap)
    seated = NumberAttribute()
    capacity = NumberAttribute()
    title = JSONAttribute()
    venue_name = UnicodeAttribute()
    genre = UnicodeAttribute(default="")
    currency = UnicodeAttribute(default="EUR")
    standing_shards = NumberAttribute(default=1)
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()
    by_gsi2 = _Gsi2()


class SeatMapItem(TableItem):
    seatmap_zlib = BinaryAttribute(legacy_encoding=False)


class SeatItem(TableItem):
    """One seat of one performance; `state` is free | held | sold | blocked."""

    state = UnicodeAttribute(default="free")
    hold_id = UnicodeAttribute(null=True)
    hold_expires = NumberAttribute(null=True)  # epoch milliseconds; a held seat past it counts as free
    order_id = UnicodeAttribute(null=True)  # set once sold
    version = NumberAttribute(default=0)


class StandingShardItem(TableItem):
    """A share of a standing capacity; hot performances split it so no key takes every write."""

    capacity = NumberAttribute()
    remaining = NumberAttribute()


class HoldItem(TableItem):
    hold_id = UnicodeAttribute()
    performance_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    session_hash = UnicodeAttribute()
    seat_ids = ListAttribute(of=UnicodeAttribute, default=list)
    quantity = NumberAttribute()
    standing_shards = JSONAttribute(default=list)  # [[shard, places], …]
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()
    status = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # set when the hold's places are sold
    ttl = NumberAttribute(null=True)  # DynamoDB TTL removes the record long after it stopped mattering
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


def is_condition_failure(error: Exception) -> bool:
    """True when a PynamoDB write failed only because its condition did not hold."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def house_key(house_id: str) -> str:
    return f"HOUSE#{house_id}"


def performance_key(performance_id: str) -> str:
    return f"PERF#{performance_id}"


def seat_key(seat_id: str) -> str:
    return f"SEAT#{seat_id}"


def hold_key(hold_id: str) -> str:
    return f"HOLD#{hold_id}"


def performance_holds_key(performance_id: str) -> str:
    return f"PERF#{performance_id}#HOLDS"


class CartItem(TableItem):
    """A buyer's cart: which holds, with the tariff chosen per place. Prices are computed, never stored."""

    session_hash = UnicodeAttribute()
    entries = JSONAttribute(default=list)  # [{"hold_id": …, "tariffs": {place: code}, "tariff": code|None}]
    created_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    ttl = NumberAttribute(null=True)


def cart_key(cart_id: str) -> str:
    return f"CART#{cart_id}"


class CustomerItem(Model):
    """A buyer as known to one house (personal data: its own table, keyed by house)."""

    class Meta:
        table_name = get_settings().customer_table_name
        region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
        max_pool_connections = 64

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")  # HOUSE#h
    sk = UnicodeAttribute(range_key=True, attr_name="SK")  # CUSTOMER#id
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    postcode = UnicodeAttribute(null=True)
    consents = JSONAttribute(default=dict)  # kind → the latest choice
    consent_log = ListAttribute(default=list)  # every choice ever made, oldest first (append-only)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


def customer_key(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


class PaymentEventItem(TableItem):
    """A payment provider event as received (webhooks are at-least-once: one item per event id)."""

    event_type = UnicodeAttribute()
    payment_intent_id = UnicodeAttribute(null=True)
    created = NumberAttribute()
    received_at = UTCDateTimeAttribute()
    payload = JSONAttribute()
    ttl = NumberAttribute(null=True)


def payment_event_key(event_id: str) -> str:
    return f"PAYEVENT#{event_id}"
