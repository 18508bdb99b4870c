"""A house's statement of a settlement period, from the ledger entries that touch it.

Opening balance (everything before the period, earlier transfers included), the period's lines
per performance and tariff (tickets, gross, VAT, commission to the selling house, revenue),
refunds, commission the house earned selling others' tickets, payment fees it bears, closing
balance and what is transferred. All integer cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .ledger import JournalEntry, account_house, house_balance


def _sum(entries: Sequence[JournalEntry], house_id: str, kind: str) -> int:
    return sum(p.amount.cents for e in entries for p in e.postings if p.account == f"house:{house_id}:{kind}")


def build_statement(
    house_id: str,
    period_id: str,
    starts_at: datetime,
    ends_at: datetime,
    dated: Sequence[tuple[datetime, JournalEntry]],
    currency: str = "EUR",
) -> dict[str, Any]:
    """The statement (a plain dict, stored as it is) of `house_id` for [starts_at, ends_at)."""
    before = [entry for at, entry in dated if at < starts_at]
    during = [entry for at, entry in dated if starts_at <= at < ends_at and entry.kind != "transfer"]
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in during:
        if entry.kind not in ("sale", "refund") or entry.house_id != house_id:
            continue
        for detail in entry.details:
            line = lines.setdefault(
                (detail["performance_id"], detail["tariff_code"]),
                {
                    "performance_id": detail["performance_id"],
                    "tariff_code": detail["tariff_code"],
                    "tickets_sold": 0,
                    "tickets_refunded": 0,
                    "gross": 0,
                    "refunds": 0,
                    "vat": 0,
                    "commission": 0,
                },
            )
            if entry.kind == "sale":
                line["tickets_sold"] += detail["tickets"]
                line["gross"] += detail["gross"]
            else:
                line["tickets_refunded"] -= detail["tickets"]
                line["refunds"] -= detail["gross"]
            line["vat"] += detail["vat"]
            line["commission"] += detail["commission"]
    for line in lines.values():
        line["revenue"] = line["gross"] - line["refunds"] - line["vat"] - line["commission"]
    opening = house_balance(before, house_id)
    activity = house_balance(during, house_id)
    closing = opening + activity
    touched = {account_house(p.account) for e in during for p in e.postings}
    return {
        "house_id": house_id,
        "period_id": period_id,
        "currency": currency,
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "opening_balance": opening,
        "lines": [lines[key] for key in sorted(lines)],
        "totals": {
            "gross": sum(line["gross"] for line in lines.values()),
            "refunds": sum(line["refunds"] for line in lines.values()),
            "vat": -_sum(during, house_id, "vat"),
            "commission_paid": sum(line["commission"] for line in lines.values()),
            "revenue": -_sum(during, house_id, "revenue"),
            "commission_earned": -_sum(during, house_id, "commission"),
            "fees": _sum(during, house_id, "fees"),
            "donations": -_sum(during, house_id, "donations"),
        },
        "activity": activity if house_id in touched else 0,
        "closing_balance": closing,
        "to_transfer": max(0, closing),  # a negative balance (refunds after payout) is carried forward
    }
