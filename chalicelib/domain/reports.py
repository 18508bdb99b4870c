"""A house's sales reports, computed from its own ledger entries (so they always equal the ledger).

Per day (Brussels), per performance, per tariff and per channel: tickets sold and refunded, gross,
refunds, net revenue (gross − refunds), plus occupancy per performance and new vs returning buyers.
Channel: `web` (the cluster's checkout), `partner` (another house's site or desk sold it),
`box_office` (this house's own desk).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .ledger import JournalEntry

BRUSSELS = ZoneInfo("Europe/Brussels")


def channel_of(entry: JournalEntry) -> str:
    if any(p.account.endswith(":collected") for p in entry.postings):
        return "box_office"
    if entry.seller_house_id and entry.seller_house_id != entry.house_id:
        return "partner"
    return "web"


def _bucket() -> dict[str, Any]:
    return {"tickets_sold": 0, "tickets_refunded": 0, "gross": 0, "refunds": 0, "net": 0}


def _add(bucket: dict[str, Any], kind: str, detail: dict[str, Any]) -> None:
    if kind == "sale":
        bucket["tickets_sold"] += detail["tickets"]
        bucket["gross"] += detail["gross"]
    else:
        bucket["tickets_refunded"] -= detail["tickets"]
        bucket["refunds"] -= detail["gross"]
    bucket["net"] = bucket["gross"] - bucket["refunds"]


def sales_report(
    house_id: str,
    dated: Sequence[tuple[datetime, JournalEntry]],
    starts_at: datetime,
    ends_at: datetime,
    capacities: Mapping[str, int],
    sold_before: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The house's sales in [starts_at, ends_at) from its ledger; `capacities` per performance for occupancy."""
    per_day: dict[str, dict[str, Any]] = defaultdict(_bucket)
    per_performance: dict[str, dict[str, Any]] = defaultdict(_bucket)
    per_tariff: dict[str, dict[str, Any]] = defaultdict(_bucket)
    per_channel: dict[str, dict[str, Any]] = defaultdict(_bucket)
    total = _bucket()
    sold_to_date: dict[str, int] = defaultdict(int, sold_before or {})
    for at, entry in dated:
        if entry.kind not in ("sale", "refund") or entry.house_id != house_id:
            continue
        for detail in entry.details:
            sign = 1 if entry.kind == "sale" else -1
            sold_to_date[detail["performance_id"]] += sign * abs(detail["tickets"])
            if not starts_at <= at < ends_at:
                continue
            for bucket in (
                per_day[at.astimezone(BRUSSELS).date().isoformat()],
                per_performance[detail["performance_id"]],
                per_tariff[detail["tariff_code"]],
                per_channel[channel_of(entry)],
                total,
            ):
                _add(bucket, entry.kind, detail)
    occupancy = {
        performance: {
            "sold": sold_to_date[performance],
            "capacity": capacity,
            "percent": round(100 * sold_to_date[performance] / capacity, 1) if capacity else 0.0,
        }
        for performance, capacity in capacities.items()
    }
    return {
        "house_id": house_id,
        "from": starts_at.isoformat(),
        "to": ends_at.isoformat(),
        "totals": total,
        "per_day": dict(sorted(per_day.items())),
        "per_performance": dict(per_performance),
        "per_tariff": dict(per_tariff),
        "per_channel": dict(per_channel),
        "occupancy": occupancy,
    }


def new_and_returning(
    first_purchases: Mapping[str, datetime], buyers_in_range: set[str], starts_at: datetime
) -> dict[str, Any]:
    """Buyers of the range whose first purchase at this house lies in it (new) or before it (returning)."""
    new = sum(1 for customer in buyers_in_range if first_purchases.get(customer, starts_at) >= starts_at)
    return {"new": new, "returning": len(buyers_in_range) - new}
