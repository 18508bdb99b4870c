"""PynamoDB models of the cluster's single table.

Key design (PK / SK, GSI `gsi1`; `gsi2` below the table):

| item                | PK                 | SK               | gsi1 (pk / sk)                        |
|---------------------|--------------------|------------------|---------------------------------------|
| house               | HOUSE#h            | HOUSE            | HOUSES / h                            |
| venue               | HOUSE#h            | VENUE#v          |                                       |
| production          | HOUSE#h            | PRODUCTION#p     |                                       |
| performance         | PERF#p             | PERF             | AGENDA / starts_at#p                  |
| seat map copy       | PERF#p             | SEATMAP          |                                       |
| seat                | PERF#p             | SEAT#s           |                                       |
| standing shard      | PERF#p#STANDING#k  | STANDING#k       |                                       |
| queue shard         | QUEUE#p#k          | QUEUE            |                                       |
| admission used      | ADMISSION#nonce    | ADMISSION        |                                       |
| hold                | HOLD#id            | HOLD             | PERF#p#HOLDS / expires_at (live only) |
| cart                | CART#id            | CART             |                                       |
| order               | ORDER#o            | ORDER            | HOUSE#h#RESERVATIONS / expiry (open)  |
| ticket              | ORDER#o            | HOUSE#h#TICKET#t | TICKET#t / TICKET                     |
| order's performance | ORDER#o            | PERF#p           |                                       |
| ledger entry        | ORDER#o            | LEDGER#entry#h   | HOUSE#h#LEDGER / time#entry           |
| refund              | ORDER#o            | REFUND#r         |                                       |
| ledger (transfer)   | SETTLEMENT#p       | LEDGER#entry#h   | HOUSE#h#LEDGER / time#entry           |
| agreement           | CLUSTER            | AGREEMENT        |                                       |
| check-in            | TICKET#t           | CHECKIN          |                                       |
| purchase            | HOUSE#h#CUSTOMER#c | PURCHASE#time#o  | HOUSE#h#PURCHASES / time#o            |
| check-in count      | PERF#p             | CHECKINS         |                                       |
| period              | SETTLEMENT#p       | PERIOD           |                                       |
| statement           | SETTLEMENT#p       | STATEMENT#h      | HOUSE#h#STATEMENTS / p                |
| payment event       | PAYEVENT#evt       | EVENT            |                                       |
| bundle              | BUNDLE#b           | BUNDLE           | BUNDLES / b                           |
| bundle sale         | BUNDLE#b           | SALE#o#group     | BUNDLE_SALES / time#o#group           |
| formula             | FORMULA#f          | FORMULA          | SUBSCRIPTION_FORMULAS / f             |
| subscription        | SUBSCRIPTION#s     | SUBSCRIPTION     | SUBSCRIPTION_SALES / time#s           |
| discount code       | VOUCHER#code       | VOUCHER          | VOUCHERS#h (or #CLUSTER) / code       |
| code's use          | ORDER#o            | VOUCHER          |                                       |
| gift card           | GIFTCARD#code      | GIFTCARD         | HOUSE#h#GIFTCARDS / issued_at#code    |
| card's use          | ORDER#o            | GIFTCARD         |                                       |

gsi2 (pk / sk): performance `HOUSE#h#PERF / starts_at#p`, ticket `PERF#p#TICKETS / o#t`, order's
performance `PERF#p#ORDERS / created_at#o`.

Seats of one performance share a partition so availability is one Query, never a scan. An
order's tickets sort under their owning house (`HOUSE#h#TICKET#…`), so a house's staff read
only their own tickets of a cross-house order by key.
"""

from __future__ import annotations

import os
from typing import Any, cast

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
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
        max_pool_connections = get_settings().connection_pool_size

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


def string_list(**options: Any) -> ListAttribute[str]:
    """A list of strings. pynamodb types a list's items by the attribute class in `of`, not by the values it
    reads, so the cast states what a `UnicodeAttribute` list holds."""
    return cast("ListAttribute[str]", ListAttribute(of=UnicodeAttribute, **options))


# One connection object for every TransactWriteItems of the store, reused across a warm Lambda's requests.
transaction_connection = Connection(
    region=TableItem.Meta.region, max_pool_connections=get_settings().connection_pool_size
)


class HouseItem(TableItem):
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    website_domains = string_list(default=list)
    payout_account = UnicodeAttribute(null=True)  # the house's Stripe Connect account for settlements
    logo_url = UnicodeAttribute(null=True)  # branding of the house's hosted checkout pages
    brand_color = UnicodeAttribute(null=True)
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
    waiting_room = JSONAttribute(null=True)  # WaitingRoom.to_dict() while the on-sale waiting room is on
    creating = NumberAttribute(null=True)  # 1 from the id's claim until every seat is written (store/catalog.py)
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
    allocation_id = UnicodeAttribute(null=True)  # set aside for another house or a channel (store/allocations.py)
    allocation_until = NumberAttribute(null=True)  # epoch ms of the allocation's return deadline
    allocation_channel = UnicodeAttribute(null=True)  # a channel allocation's channel
    claimed_at = NumberAttribute(null=True)  # epoch ms of the last hold: before `allocation_until`, from the allocation


class StandingShardItem(TableItem):
    """A share of a standing capacity; hot performances split it so no key takes every write."""

    capacity = NumberAttribute()
    remaining = NumberAttribute()
    allocation_until = NumberAttribute(null=True)  # a standing allocation's counter: its deadline, epoch ms


class QueueShardItem(TableItem):
    """One shard of a waiting room's line: how many joined through it (its own partition key)."""

    joined = NumberAttribute(default=0)


class AdmissionItem(TableItem):
    """A spent admission: its nonce, put once with the hold it let through, kept until TTL."""

    hold_id = UnicodeAttribute()
    ttl = NumberAttribute()


class HoldItem(TableItem):
    hold_id = UnicodeAttribute()
    performance_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    session_hash = UnicodeAttribute()
    seat_ids = string_list(default=list)
    quantity = NumberAttribute()
    standing_shards = JSONAttribute(default=list)  # [[shard, places], …]
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()
    status = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # set when the hold's places are sold
    returned_for = UnicodeSetAttribute(null=True)  # refunds whose standing places went back on sale
    bundle_id = UnicodeAttribute(null=True)  # a bundle's holds: made together, released together
    bundle_hold_ids = string_list(null=True)
    bundle_quantity = NumberAttribute(null=True)
    bundle_kind = UnicodeAttribute(null=True)  # unset for a bundle; "subscription" for a subscription's places
    ttl = NumberAttribute(null=True)  # DynamoDB TTL removes the record long after it stopped mattering
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


def is_condition_failure(error: Exception) -> bool:
    """True when a PynamoDB write failed only because its condition did not hold."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def any_condition_failed(error: TransactWriteError) -> bool:
    """True when a condition of one of a transaction's writes did not hold (not a conflict or a throttle)."""
    return any(reason and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons or [])


def house_key(house_id: str) -> str:
    return f"HOUSE#{house_id}"


def performance_key(performance_id: str) -> str:
    return f"PERF#{performance_id}"


def standing_shard_key(performance_id: str, shard: int) -> tuple[str, str]:
    """(PK, SK) of a standing shard: each shard its own partition key, so a hot sale's writes spread
    over `standing_shards` partitions instead of queueing on the performance's one."""
    return f"PERF#{performance_id}#STANDING#{shard}", f"STANDING#{shard}"


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
    order_id = UnicodeAttribute(null=True)  # set when checkout begins: the cart is frozen from then on
    ttl = NumberAttribute(null=True)
    voucher_code = UnicodeAttribute(null=True)  # a discount code the buyer applied (claimed at checkout)
    donations = JSONAttribute(null=True)  # [{"house_id", "amount", "currency"}]
    gift_card_code = UnicodeAttribute(null=True)  # a gift card the buyer pays part of the order with


class BundleItem(TableItem):
    """A bundle: its performances ([{performance_id, places, fixed_cents}]), one price, a sales window."""

    bundle_id = UnicodeAttribute()
    name = JSONAttribute()
    components = JSONAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute(default="EUR")
    sales_start = UTCDateTimeAttribute()
    sales_end = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class BundleSaleItem(TableItem):
    """One bundle purchase that became tickets (the cluster report counts them)."""

    bundle_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    quantity = NumberAttribute()
    sold_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


def bundle_key(bundle_id: str) -> str:
    return f"BUNDLE#{bundle_id}"


def cart_key(cart_id: str) -> str:
    return f"CART#{cart_id}"


class CustomerTableItem(Model):
    """An item of CustomerTable: buyers' personal data and what joins it, apart from the main table."""

    class Meta:
        table_name = get_settings().customer_table_name
        region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
        max_pool_connections = get_settings().connection_pool_size

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class CustomerItem(CustomerTableItem):
    """A buyer as known to one house (`HOUSE#h` / `CUSTOMER#id`: personal data, keyed by house)."""

    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    postcode = UnicodeAttribute(null=True)
    consents = JSONAttribute(default=dict)  # kind → the latest choice
    consent_log: ListAttribute[Any] = ListAttribute(default=list)  # every choice made, oldest first (append-only)
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


class OrderItem(TableItem):
    """An order: the frozen, priced cart, its payment and its outcome (personal data lives elsewhere)."""

    order_id = UnicodeAttribute()
    cart_id = UnicodeAttribute()
    session_hash = UnicodeAttribute()
    status = UnicodeAttribute()
    lines = JSONAttribute(default=list)
    total_cents = NumberAttribute(default=0)
    currency = UnicodeAttribute(default="EUR")
    language = UnicodeAttribute(default="nl")
    seller_house_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(default="web")
    payment_method = UnicodeAttribute(null=True)
    customer_ids = JSONAttribute(default=dict)  # house → customer id in CustomerTable
    payment_intent_id = UnicodeAttribute(null=True)
    client_secret = UnicodeAttribute(null=True)
    payment_status = UnicodeAttribute(null=True)  # succeeded | canceled, as the provider's webhook said
    charge_id = UnicodeAttribute(null=True)
    last_payment_error = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)  # the workflow waits on it for the payment's outcome
    failure_reason = UnicodeAttribute(null=True)
    lost_places = string_list(default=list)
    refunded_cents = NumberAttribute(default=0)
    email_message_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=1)
    donations = JSONAttribute(null=True)  # frozen with the lines: [{"house_id", "amount", "currency"}]
    gift_card_code = UnicodeAttribute(null=True)  # the card that pays `gift_card_cents` of the total
    gift_card_house = UnicodeAttribute(null=True)  # the card's issuing house
    gift_card_cents = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)  # HOUSE#h#RESERVATIONS / expiry, only while a desk reservation is open
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class TicketItem(TableItem):
    ticket_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    line_index = NumberAttribute()
    performance_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    hold_id = UnicodeAttribute()
    seat_id = UnicodeAttribute(null=True)
    seat_label = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    tariff_code = UnicodeAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute(default="EUR")
    payload = UnicodeAttribute()  # the signed QR text
    vat_cents = NumberAttribute(default=0)  # the shares its sale booked: a refund reverses exactly these
    commission_cents = NumberAttribute(default=0)
    status = UnicodeAttribute()  # valid | refunding | void
    refund_id = UnicodeAttribute(null=True)
    issued_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()
    by_gsi2 = _Gsi2()


class OrderPerformanceItem(TableItem):
    """An order's mark on each performance it has places of (`ORDER#o` / `PERF#p`), written with the order: the
    staff list a performance's orders in any state through gsi2 `PERF#p#ORDERS` / `created_at#o`."""

    order_id = UnicodeAttribute()
    performance_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_gsi2 = _Gsi2()


class LedgerItem(TableItem):
    """One balanced journal entry as one house sees it (append-only; a correction is another entry).

    An entry touching several houses (a sale with a selling house's commission, a fee split over
    owners) is stored once per house, so each house reads its ledger by key (gsi1).
    """

    entry = JSONAttribute()
    house_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    booked_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class PurchaseItem(TableItem):
    """A buyer's purchase at one house (pseudonymous customer id; the CRM's history and segments)."""

    house_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    performance_ids = string_list(default=list)
    genres = string_list(default=list)
    tickets = NumberAttribute()
    amount_cents = NumberAttribute()
    channel = UnicodeAttribute()
    bought_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class CheckInItem(TableItem):
    """A ticket's admission: at most one per ticket (conditional put); later scans read it."""

    ticket_id = UnicodeAttribute()
    performance_id = UnicodeAttribute()
    scan_id = UnicodeAttribute()
    scanner = UnicodeAttribute()
    gate = UnicodeAttribute(null=True)
    scanned_at = UTCDateTimeAttribute()
    recorded_at = UTCDateTimeAttribute()


class CheckInCountItem(TableItem):
    """How many are in the hall: one counter per performance, moved with each admission."""

    admitted = NumberAttribute(default=0)


class AgreementItem(TableItem):
    """The cluster's agreement (one item; every change bumps the version)."""

    agreement = JSONAttribute()
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


class PeriodItem(TableItem):
    """A settlement period: which entries it covers and whether every house was paid."""

    period_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()  # settling | settled
    settled_at = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)  # SETTLEMENTS / starts_at: the coordinator's list
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class SettlementMarkerItem(TableItem):
    """Where the last settlement period ends: periods follow one another, never overlap."""

    last_ends_at = UTCDateTimeAttribute()


class StatementItem(TableItem):
    """One house's statement of one period, and the transfer that paid it."""

    period_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    statement = JSONAttribute()
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute(default="EUR")
    status = UnicodeAttribute()  # to_pay | paid | nothing_to_pay
    transfer_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    paid_at = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class RefundItem(TableItem):
    refund_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    house_id = UnicodeAttribute(null=True)  # the house whose staff asked; None for the system (cancellation)
    ticket_ids = string_list(default=list)
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute(default="EUR")
    reason = UnicodeAttribute()  # a code of domain.orders.REFUND_REASONS (older refunds: free text)
    note = UnicodeAttribute(null=True)  # the house's internal note: stays here
    status = UnicodeAttribute()  # requested | completed
    provider_refund_id = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    completed_at = UTCDateTimeAttribute(null=True)


def order_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


def ticket_sort_key(house_id: str, ticket_id: str) -> str:
    return f"HOUSE#{house_id}#TICKET#{ticket_id}"
