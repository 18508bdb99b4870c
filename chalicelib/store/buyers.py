"""A buyer across houses: the links from the buyer id to each house's record and to the orders,
consent changes, erasure (removing the records, pseudonymising orders and purchases) and receipts.

The links live in `CustomerTable` beside the records (`BUYER#b` / `HOUSE#h` and `ORDER#o`): they hold
only ids, but they join a person's records across houses, so they share the personal data's table,
its access and its fate (erasure deletes them last).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.customers import ConsentChoice
from ..domain.errors import Conflict
from .models import (
    CustomerItem,
    CustomerTableItem,
    OrderItem,
    PurchaseItem,
    TableItem,
    _Gsi1,
    customer_key,
    house_key,
    is_condition_failure,
    order_key,
    string_list,
    transaction_connection,
)

ORDER_SK = "ORDER"


class BuyerLinkItem(CustomerTableItem):
    """One link of a buyer id: to the buyer's record at a house (`HOUSE#h`) or to an order (`ORDER#o`);
    `LINKMAIL` marks when a new preferences link was last e-mailed, `SPENT#nonce` a link already used.
    Keys: `BUYER#b` / `HOUSE#h` | `ORDER#o` | `LINKMAIL` | `SPENT#nonce`."""

    customer_id = UnicodeAttribute(null=True)
    linked_at = UTCDateTimeAttribute()


class ErasureItem(TableItem):
    """An erasure's receipt: what was erased where, when; ids and counts only, nothing personal."""

    erasure_id = UnicodeAttribute()
    buyer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # erasing | erased
    house_ids = string_list(default=list)
    customer_records = NumberAttribute(default=0)
    orders = NumberAttribute(default=0)
    purchases = NumberAttribute(default=0)
    refund_notes = NumberAttribute(default=0)  # staff notes on the buyer's refunds (they may name the buyer)
    requested_at = UTCDateTimeAttribute()
    completed_at = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)  # ERASURES / requested_at#erasure: the cluster's register of erasures
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


def _buyer_key(buyer_id: str) -> str:
    return f"BUYER#{buyer_id}"


@dataclass(frozen=True)
class BuyerLinks:
    customers: dict[str, str] = field(default_factory=dict)  # house → customer id
    orders: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.customers and not self.orders


def link(buyer_id: str, customer_ids: dict[str, str], order_id: str | None, now: datetime) -> None:
    """Remember the buyer's record at each house (and the order); putting a link again changes nothing."""
    items = [
        BuyerLinkItem(_buyer_key(buyer_id), f"HOUSE#{house_id}", customer_id=customer_id, linked_at=now)
        for house_id, customer_id in sorted(customer_ids.items())
    ]
    if order_id:
        items.append(BuyerLinkItem(_buyer_key(buyer_id), f"ORDER#{order_id}", linked_at=now))
    for item in items:
        try:
            item.save(condition=BuyerLinkItem.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise


def links_of(buyer_id: str) -> BuyerLinks:
    """Every house record and order of the buyer (one Query on the buyer's key)."""
    customers, orders = {}, []
    for item in BuyerLinkItem.query(_buyer_key(buyer_id), consistent_read=True):
        kind, _, value = item.sk.partition("#")
        if kind == "HOUSE" and item.customer_id:
            customers[value] = item.customer_id
        elif kind == "ORDER":
            orders.append(value)
    return BuyerLinks(customers, tuple(orders))


def claim_link_mail(buyer_id: str, now: datetime, every: timedelta) -> bool:
    """True if no link was e-mailed to the buyer within `every` (and records this one): at most one such
    e-mail per period, however often the form is sent. Erasure deletes the marker with the links."""
    try:
        BuyerLinkItem(_buyer_key(buyer_id), "LINKMAIL", linked_at=now).save(
            condition=BuyerLinkItem.pk.does_not_exist() | (BuyerLinkItem.linked_at <= now - every)
        )
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def spend_link(buyer_id: str, nonce: str, now: datetime) -> bool:
    """Mark the link's token used (True), or False if it was used before: each link opens the page once.
    Erasure deletes the marks with the links."""
    try:
        BuyerLinkItem(_buyer_key(buyer_id), f"SPENT#{nonce}", linked_at=now).save(
            condition=BuyerLinkItem.pk.does_not_exist()
        )
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def link_spent(buyer_id: str, nonce: str) -> bool:
    """Whether the link's token was used already."""
    try:
        BuyerLinkItem.get(_buyer_key(buyer_id), f"SPENT#{nonce}", consistent_read=True)
    except DoesNotExist:
        return False
    return True


def unlink(buyer_id: str) -> int:
    """Delete every link of the buyer (erasure's last step); how many there were."""
    deleted = 0
    for item in BuyerLinkItem.query(_buyer_key(buyer_id), consistent_read=True):
        item.delete()
        deleted += 1
    return deleted


# -- consents -------------------------------------------------------------------------------------
def change_consents(
    house_id: str, customer_id: str, decide: Callable[[dict], list[ConsentChoice]], now: datetime
) -> list[ConsentChoice]:
    """Append the choices `decide` makes from the record's current consents to its log and make them
    current, in one update conditional on nobody having changed the record since it was read (else
    read and decide again). Returns the choices recorded; none when the record is gone or nothing changed."""
    for _ in range(5):
        try:
            current = CustomerItem.get(house_key(house_id), customer_key(customer_id), consistent_read=True)
        except DoesNotExist:
            return []
        choices = decide(dict(current.consents or {}))
        if not choices:
            return []
        consents = {**(current.consents or {}), **{choice.kind.value: choice.to_dict() for choice in choices}}
        try:
            CustomerItem(house_key(house_id), customer_key(customer_id)).update(
                actions=[
                    CustomerItem.consent_log.set(
                        (CustomerItem.consent_log | []).append([choice.to_dict() for choice in choices])
                    ),
                    CustomerItem.consents.set(consents),
                    CustomerItem.updated_at.set(now),
                ],
                condition=CustomerItem.pk.exists() & (CustomerItem.updated_at == current.updated_at),
            )
        except UpdateError as error:
            if is_condition_failure(error):
                continue
            raise
        return choices
    raise Conflict("These choices changed meanwhile; reload the page and try again.")


# -- erasure --------------------------------------------------------------------------------------
def email_of(house_id: str, customer_id: str) -> str | None:
    try:
        return CustomerItem.get(
            house_key(house_id),
            customer_key(customer_id),
            consistent_read=True,
            attributes_to_get=["PK", "SK", "email"],
        ).email
    except DoesNotExist:
        return None


def delete_customer(house_id: str, customer_id: str) -> bool:
    """Remove the house's record of the buyer (name, address, phone, postcode, consents); False if gone."""
    try:
        CustomerItem(house_key(house_id), customer_key(customer_id)).delete(condition=CustomerItem.pk.exists())
    except DeleteError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def pseudonymise_order(order_id: str, pseudonyms: dict[str, str]) -> bool:
    """Replace the order's customer ids (house → id) by their pseudonyms and drop the UiTPAS numbers of its
    social-tariff places; False if there was nothing to change."""
    try:
        item = OrderItem.get(
            order_key(order_id), ORDER_SK, consistent_read=True, attributes_to_get=["PK", "SK", "customer_ids", "lines"]
        )
    except DoesNotExist:
        return False
    current = dict(item.customer_ids or {})
    replaced = {house_id: pseudonyms.get(customer_id, customer_id) for house_id, customer_id in current.items()}
    lines = [dict(line) for line in item.lines or ()]
    passes = [line["uitpas"] for line in lines if line.get("uitpas") and line["uitpas"].get("uitpas_number")]
    if replaced == current and not passes:
        return False
    for social in passes:
        social["uitpas_number"] = ""  # the sale stays (its tariff and price); whose pass it was does not
    actions: list[Action] = [OrderItem.customer_ids.set(replaced), OrderItem.version.add(1)]
    if passes:
        actions.append(OrderItem.lines.set(lines))
    try:
        OrderItem(order_key(order_id), ORDER_SK).update(actions=actions, condition=OrderItem.pk.exists())
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def move_purchases(house_id: str, customer_id: str, pseudonym: str) -> int:
    """Each purchase of the customer at the house moves to the pseudonym (put new + delete old in one
    transaction, so the CRM never counts one twice or loses one); how many moved."""
    moved = 0
    old_key = f"HOUSE#{house_id}#CUSTOMER#{customer_id}"
    for item in PurchaseItem.query(old_key, PurchaseItem.sk.startswith("PURCHASE#"), consistent_read=True):
        copy = PurchaseItem(
            f"HOUSE#{house_id}#CUSTOMER#{pseudonym}",
            item.sk,
            house_id=item.house_id,
            customer_id=pseudonym,
            order_id=item.order_id,
            performance_ids=item.performance_ids,
            genres=item.genres,
            tickets=item.tickets,
            amount_cents=item.amount_cents,
            channel=item.channel,
            bought_at=item.bought_at,
            gsi1pk=item.gsi1pk,
            gsi1sk=item.gsi1sk,
        )
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.save(copy, condition=PurchaseItem.pk.does_not_exist())
                transaction.delete(PurchaseItem(old_key, item.sk), condition=PurchaseItem.pk.exists())
        except TransactWriteError:
            continue  # a concurrent erasure moved it
        moved += 1
    return moved


def _receipt_key(buyer_id: str) -> str:
    return f"ERASURE#{buyer_id}"


def begin_erasure(buyer_id: str, erasure: str, house_ids: list[str], now: datetime) -> bool:
    """Record that the erasure was asked for (once per erasure id); False if it already was."""
    try:
        ErasureItem(
            _receipt_key(buyer_id),
            f"RECEIPT#{erasure}",
            erasure_id=erasure,
            buyer_id=buyer_id,
            status="erasing",
            house_ids=sorted(house_ids),
            requested_at=now,
            gsi1pk="ERASURES",
            gsi1sk=f"{now.astimezone(UTC).isoformat()}#{erasure}",
        ).save(condition=ErasureItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def complete_erasure(buyer_id: str, erasure: str, counts: dict[str, int], now: datetime) -> None:
    """The receipt says `erased`, with its counts (the first completion's; a rerun changes nothing)."""
    try:
        ErasureItem(_receipt_key(buyer_id), f"RECEIPT#{erasure}").update(
            actions=[
                ErasureItem.status.set("erased"),
                ErasureItem.completed_at.set(now),
                *[getattr(ErasureItem, name).set(value) for name, value in counts.items()],
            ],
            condition=ErasureItem.pk.exists() & (ErasureItem.status == "erasing"),
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def _receipt(item: ErasureItem) -> dict:
    return {
        "erasure_id": item.erasure_id,
        "status": item.status,
        "house_ids": list(item.house_ids or ()),
        "customer_records": int(item.customer_records),
        "orders": int(item.orders),
        "purchases": int(item.purchases),
        "refund_notes": int(item.refund_notes or 0),
        "requested_at": item.requested_at.isoformat(),
        "completed_at": item.completed_at.isoformat() if item.completed_at else None,
    }


def receipts_of(buyer_id: str) -> list[dict]:
    """The buyer's erasure receipts, oldest request first."""
    receipts = [
        _receipt(item)
        for item in ErasureItem.query(
            _receipt_key(buyer_id), ErasureItem.sk.startswith("RECEIPT#"), consistent_read=True
        )
    ]
    return sorted(receipts, key=lambda receipt: receipt["requested_at"])


def register_of_erasures(since: datetime) -> list[dict]:
    """Every erasure asked for since `since`, newest first, with the buyer id (the cluster's register)."""
    return [
        {**_receipt(item), "buyer_id": item.buyer_id}
        for item in ErasureItem.by_gsi1.query(
            "ERASURES", ErasureItem.gsi1sk >= since.astimezone(UTC).isoformat(), scan_index_forward=False
        )
    ]
