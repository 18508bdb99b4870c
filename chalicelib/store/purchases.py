"""Purchases per house and customer: the CRM's history, read by the house's key only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError

from .models import PurchaseItem, is_condition_failure


@dataclass(frozen=True)
class Purchase:
    house_id: str
    customer_id: str
    order_id: str
    performance_ids: tuple[str, ...]
    genres: tuple[str, ...]
    tickets: int
    amount_cents: int
    channel: str
    bought_at: datetime


def _key(house_id: str, customer_id: str) -> str:
    return f"HOUSE#{house_id}#CUSTOMER#{customer_id}"


def record(purchase: Purchase) -> None:
    """Store it once (a retried task records the same purchase again: no change)."""
    try:
        PurchaseItem(
            _key(purchase.house_id, purchase.customer_id),
            f"PURCHASE#{purchase.bought_at.isoformat()}#{purchase.order_id}",
            house_id=purchase.house_id,
            customer_id=purchase.customer_id,
            order_id=purchase.order_id,
            performance_ids=list(purchase.performance_ids),
            genres=list(purchase.genres),
            tickets=purchase.tickets,
            amount_cents=purchase.amount_cents,
            channel=purchase.channel,
            bought_at=purchase.bought_at,
            gsi1pk=f"HOUSE#{purchase.house_id}#PURCHASES",
            gsi1sk=f"{purchase.bought_at.isoformat()}#{purchase.order_id}",
        ).save(condition=PurchaseItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


def _purchase(item: PurchaseItem) -> Purchase:
    return Purchase(
        item.house_id,
        item.customer_id,
        item.order_id,
        tuple(item.performance_ids or ()),
        tuple(item.genres or ()),
        int(item.tickets),
        int(item.amount_cents),
        item.channel,
        item.bought_at,
    )


def of_customer(house_id: str, customer_id: str) -> list[Purchase]:
    return [
        _purchase(item)
        for item in PurchaseItem.query(_key(house_id, customer_id), PurchaseItem.sk.startswith("PURCHASE#"))
    ]


def of_house(house_id: str) -> list[Purchase]:
    """Every purchase at the house, oldest first."""
    return [_purchase(item) for item in PurchaseItem.by_gsi1.query(f"HOUSE#{house_id}#PURCHASES")]
