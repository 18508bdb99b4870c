"""A house's CRM and reports, on its own data: buyers, their history, segments, marketing export, sales.

Another house's history of a buyer is shown only where that buyer allowed sharing at that house
(its recorded `sharing` consent); sharing ticked at a sale whose address is not proven yet covers
that one order. A marketing export holds only buyers who said yes to this house's
marketing. Reports come from the house's ledger entries, so they equal the ledger.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from ..domain.customers import customer_id as customer_id_for
from ..domain.reports import new_and_returning, sales_report
from ..store import bundles as bundle_store
from ..store import catalog
from ..store import customers as customer_store
from ..store import orders as ledger_store
from ..store import purchases as purchase_store
from ..store import subscriptions as subscription_store
from .customer_keys import cluster_key


def _granted(record: customer_store.CustomerRecord, kind: str) -> bool:
    return bool((record.consents.get(kind) or {}).get("granted"))


def segment(
    house_id: str,
    now: datetime,
    genre: str | None = None,
    since_days: int | None = None,
    postcode: str | None = None,
    min_orders: int | None = None,
) -> list[dict[str, Any]]:
    """The house's buyers matching every given criterion, with their history counts at this house."""
    by_customer: dict[str, list[Any]] = defaultdict(list)
    since = now - timedelta(days=since_days) if since_days else None
    for purchase in purchase_store.of_house(house_id):
        by_customer[purchase.customer_id].append(purchase)
    found = []
    for record in customer_store.customers_of_house(house_id):
        bought = by_customer.get(record.customer_id, [])
        relevant = [
            p for p in bought if (since is None or p.bought_at >= since) and (genre is None or genre in p.genres)
        ]
        if (genre or since) and not relevant:
            continue
        if postcode and (record.details.postcode or "") != postcode:
            continue
        if min_orders and len(bought) < min_orders:
            continue
        found.append(
            {
                "customer_id": record.customer_id,
                "name": record.details.name,
                "email": record.details.email,
                "postcode": record.details.postcode,
                "orders": len(bought),
                "tickets": sum(p.tickets for p in bought),
                "spent": sum(p.amount_cents for p in bought),
                "last_purchase": max((p.bought_at for p in bought), default=None),
                "marketing": _granted(record, "marketing"),
                "sharing": _granted(record, "sharing"),
            }
        )
    return found


def marketing_export(house_id: str, rows: list[dict[str, Any]]) -> str:
    """CSV of the segment's buyers who allowed this house's marketing — nobody else."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["name", "email", "postcode"])
    for row in rows:
        if row["marketing"]:
            writer.writerow([row["name"], row["email"], row["postcode"] or ""])
    return out.getvalue()


def _shares_everything(record: customer_store.CustomerRecord) -> bool:
    """Sharing the buyer's whole history needs a proven choice: made behind the link (`preferences`) or an
    order's choice applied once its link was followed (`order`). Sharing recorded straight from a sale, as
    older records have it, proves nobody's will."""
    sharing = record.consents.get("sharing") or {}
    return bool(sharing.get("granted")) and (
        bool(sharing.get("verified")) or sharing.get("source") in ("preferences", "order")
    )


def _order_shared(house_id: str, order_id: str, record: customer_store.CustomerRecord) -> bool:
    """Sharing ticked with an order whose address nobody proved yet covers that one order."""
    found = customer_store.order_buyer(house_id, order_id)
    return bool(found and found.customer_id == record.customer_id and found.shares_this_order(record.consents))


def customer_history(house_id: str, customer_id: str) -> dict[str, Any]:
    """The buyer at this house, and at the cluster's other houses where the buyer allowed sharing (all their
    purchases there), or where an order not yet proven by the address's owner allowed it (that order only)."""
    record = customer_store.get_customer(house_id, customer_id)
    own = purchase_store.of_customer(house_id, customer_id)
    shared = []
    key = cluster_key()
    for house in catalog.list_houses():
        if house.id == house_id:
            continue
        elsewhere = customer_store.find_customer(house.id, customer_id_for(key, house.id, record.details.email))
        if elsewhere is None:
            continue
        purchases = purchase_store.of_customer(house.id, elsewhere.customer_id)
        if not _shares_everything(elsewhere):
            purchases = [p for p in purchases if _order_shared(house.id, p.order_id, elsewhere)]
        shared += [
            {
                "house_id": house.id,
                "order_id": p.order_id,
                "performance_ids": list(p.performance_ids),
                "tickets": p.tickets,
                "bought_at": p.bought_at.isoformat(),
            }
            for p in purchases
        ]
    return {
        "customer_id": customer_id,
        "name": record.details.name,
        "email": record.details.email,
        "postcode": record.details.postcode,
        "consents": record.consents,
        "purchases": [
            {
                "order_id": p.order_id,
                "performance_ids": list(p.performance_ids),
                "tickets": p.tickets,
                "amount": p.amount_cents,
                "channel": p.channel,
                "bought_at": p.bought_at.isoformat(),
            }
            for p in own
        ],
        "other_houses": shared,
    }


def sales(house_id: str, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    """The house's sales report for [starts_at, ends_at), with occupancy and new vs returning buyers."""
    dated = ledger_store.house_ledger(house_id, ends_at)
    capacities = {p.id: p.capacity for p in catalog.list_house_performances(house_id)}
    report = sales_report(house_id, dated, starts_at, ends_at, capacities)
    first: dict[str, datetime] = {}
    in_range: set[str] = set()
    for purchase in purchase_store.of_house(house_id):
        first.setdefault(purchase.customer_id, purchase.bought_at)
        if starts_at <= purchase.bought_at < ends_at:
            in_range.add(purchase.customer_id)
    report["buyers"] = new_and_returning(first, in_range, starts_at)
    return report


def cluster_overview(starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    """Per house tickets and revenue, and how many orders spanned several houses: counts only, nothing personal."""
    houses = []
    orders_per_house: dict[str, set[str]] = {}
    for house in catalog.list_houses():
        dated = ledger_store.house_ledger(house.id, ends_at)
        report = sales_report(house.id, dated, starts_at, ends_at, {})
        orders_per_house[house.id] = {
            e.order_id for at, e in dated if e.kind == "sale" and e.house_id == house.id and starts_at <= at < ends_at
        }
        houses.append({"house_id": house.id, "name": house.name, **report["totals"]})
    seen: dict[str, int] = defaultdict(int)
    for orders in orders_per_house.values():
        for order_id in orders:
            seen[order_id] += 1
    return {
        "from": starts_at.isoformat(),
        "to": ends_at.isoformat(),
        "houses": houses,
        "orders": len(seen),
        "cross_house_orders": sum(1 for n in seen.values() if n > 1),
        "bundles_sold": sum(quantity for _, quantity in bundle_store.sales_between(starts_at, ends_at)),
        "subscriptions_sold": len(subscription_store.sales_between(starts_at, ends_at)),
    }
