"""Subscription repository: formulas (created once, conditional on a new id) and each subscription sold.

A subscription's id is `{public}.{secret}`: `public` keys the record (stable per order and purchase, so a retried
checkout task finds it again), `secret` is random and compared in constant time, so only the buyer who got the
id can read or change the subscription.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.catalog import PerformanceStatus
from ..domain.errors import AlreadyExists, Conflict, NotFound
from ..domain.orders import TicketStatus
from ..domain.subscriptions import Discount, SubscriptionFormula
from .models import TableItem, TicketItem, _Gsi1, is_condition_failure, order_key, ticket_sort_key
from .orders import IssuedTicket

FORMULAS = "SUBSCRIPTION_FORMULAS"
SUBSCRIPTION_SALES = "SUBSCRIPTION_SALES"


def formula_key(formula_id: str) -> str:
    return f"FORMULA#{formula_id}"


def subscription_key(public_id: str) -> str:
    return f"SUBSCRIPTION#{public_id}"


class FormulaItem(TableItem):
    """A subscription formula: its performances, how many to choose, the discount, the sales and pre-sale windows."""

    formula_id = UnicodeAttribute()
    house_id = UnicodeAttribute(null=True)
    name = JSONAttribute()
    performance_ids = JSONAttribute()
    min_choices = NumberAttribute()
    max_choices = NumberAttribute()
    discount = JSONAttribute()
    sales_start = UTCDateTimeAttribute()
    sales_end = UTCDateTimeAttribute()
    presale_start = UTCDateTimeAttribute(null=True)
    presale_end = UTCDateTimeAttribute(null=True)
    season = UnicodeAttribute()
    renews = UnicodeAttribute(null=True)
    renewal_start = UTCDateTimeAttribute(null=True)
    renewal_end = UTCDateTimeAttribute(null=True)
    corresponding = JSONAttribute(null=True)  # last season's performance id → this season's
    status = UnicodeAttribute()
    currency = UnicodeAttribute(default="EUR")
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class SubscriptionItem(TableItem):
    """One subscription sold: its formula, order and chosen places ([{performance_id, house_id, ticket_id, ...}])."""

    public_id = UnicodeAttribute()
    secret = UnicodeAttribute()
    formula_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    choices = JSONAttribute()
    pending = JSONAttribute(null=True)  # a change under way: its new hold, so a retry finishes it
    pending_change = UnicodeAttribute(null=True)  # that change's id (conditions compare it)
    changes = NumberAttribute(default=0)
    sold_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


@dataclass(frozen=True)
class Subscription:
    public_id: str
    secret: str
    formula_id: str
    order_id: str
    choices: list[dict]
    sold_at: datetime
    version: int = 1
    changes: int = 0
    pending: dict | None = field(default=None)

    @property
    def id(self) -> str:
        return f"{self.public_id}.{self.secret}"

    def choice(self, performance_id: str) -> dict | None:
        return next((c for c in self.choices if c["performance_id"] == performance_id), None)


def _formula(item: FormulaItem) -> SubscriptionFormula:
    return SubscriptionFormula(
        item.formula_id,
        dict(item.name),
        tuple(item.performance_ids),
        int(item.min_choices),
        int(item.max_choices),
        Discount(item.discount["kind"], int(item.discount["value"])),
        item.sales_start,
        item.sales_end,
        PerformanceStatus(item.status),
        item.season,
        item.house_id,
        item.presale_start,
        item.presale_end,
        item.renews,
        item.currency,
        item.created_by,
        item.created_at,
        item.renewal_start,
        item.renewal_end,
        dict(item.corresponding or {}),
    )


def create_formula(formula: SubscriptionFormula) -> None:
    """Store a new formula; its id must be new (AlreadyExists otherwise, nothing written)."""
    item = FormulaItem(
        formula_key(formula.id),
        "FORMULA",
        formula_id=formula.id,
        house_id=formula.house_id,
        name=formula.name,
        performance_ids=list(formula.performance_ids),
        min_choices=formula.min_choices,
        max_choices=formula.max_choices,
        discount=formula.discount.to_dict(),
        sales_start=formula.sales_start,
        sales_end=formula.sales_end,
        presale_start=formula.presale_start,
        presale_end=formula.presale_end,
        season=formula.season,
        renews=formula.renews,
        renewal_start=formula.renewal_start,
        renewal_end=formula.renewal_end,
        corresponding=dict(formula.corresponding) or None,
        status=formula.status.value,
        currency=formula.currency,
        created_by=formula.created_by,
        created_at=formula.created_at,
        version=1,
        gsi1pk=FORMULAS,
        gsi1sk=formula.id,
    )
    try:
        item.save(condition=FormulaItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            raise AlreadyExists(f"Subscription formula {formula.id} already exists.") from error
        raise


def get_formula(formula_id: str) -> SubscriptionFormula:
    """The formula, or NotFound."""
    try:
        return _formula(FormulaItem.get(formula_key(formula_id), "FORMULA"))
    except DoesNotExist:
        raise NotFound("No such subscription.", formula_id=formula_id) from None


def list_formulas() -> list[SubscriptionFormula]:
    """Every formula of the cluster, by id (one Query on the sparse index, never a scan)."""
    return [_formula(item) for item in FormulaItem.by_gsi1.query(FORMULAS)]


def renewals_of(formula_id: str) -> list[SubscriptionFormula]:
    """The formulas that renew `formula_id` (next season's)."""
    return [formula for formula in list_formulas() if formula.renews == formula_id]


def set_status(formula_id: str, status: PerformanceStatus, house_id: str | None = None) -> SubscriptionFormula:
    """Open, pause or cancel a formula's sale, conditional on its existence and, for a house (`house_id`),
    on being that house's own (NotFound otherwise); the coordinator (None) manages every formula."""
    condition = FormulaItem.pk.exists()
    if house_id is not None:
        condition &= FormulaItem.house_id == house_id
    try:
        FormulaItem(formula_key(formula_id), "FORMULA").update(
            actions=[FormulaItem.status.set(status.value), FormulaItem.version.add(1)], condition=condition
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("No such subscription.", formula_id=formula_id) from error
        raise
    return get_formula(formula_id)


def _subscription(item: SubscriptionItem) -> Subscription:
    return Subscription(
        item.public_id,
        item.secret,
        item.formula_id,
        item.order_id,
        list(item.choices),
        item.sold_at,
        int(item.version),
        int(item.changes or 0),
        item.pending,
    )


def record_sale(public_id: str, formula_id: str, order_id: str, choices: list[dict], sold_at: datetime) -> Subscription:
    """The subscription of one purchase, created once: a retried task gets the same record (and secret) back."""
    item = SubscriptionItem(
        subscription_key(public_id),
        "SUBSCRIPTION",
        public_id=public_id,
        secret=secrets.token_urlsafe(24),
        formula_id=formula_id,
        order_id=order_id,
        choices=choices,
        sold_at=sold_at,
        version=1,
        changes=0,
        gsi1pk=SUBSCRIPTION_SALES,
        gsi1sk=f"{sold_at.isoformat()}#{public_id}",
    )
    try:
        item.save(condition=SubscriptionItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise
        return _subscription(SubscriptionItem.get(subscription_key(public_id), "SUBSCRIPTION", consistent_read=True))
    return _subscription(item)


def find(public_id: str) -> Subscription | None:
    try:
        return _subscription(SubscriptionItem.get(subscription_key(public_id), "SUBSCRIPTION", consistent_read=True))
    except DoesNotExist:
        return None


def get_subscription(subscription_id: str) -> Subscription:
    """The subscription whose id (public part and secret) is `subscription_id`, or NotFound (never says which part
    was wrong)."""
    public_id, _, secret = subscription_id.partition(".")
    found = find(public_id) if public_id and secret else None
    if found is None or not hmac.compare_digest(found.secret.encode(), secret.encode()):
        raise NotFound("No such subscription.")
    return found


def begin_change(subscription: Subscription, pending: dict) -> None:
    """Note the change under way; only one at a time (conditional on the version read and no change pending)."""
    try:
        SubscriptionItem(subscription_key(subscription.public_id), "SUBSCRIPTION").update(
            actions=[
                SubscriptionItem.pending.set(pending),
                SubscriptionItem.pending_change.set(pending["change_id"]),
                SubscriptionItem.version.add(1),
            ],
            condition=(SubscriptionItem.version == subscription.version)
            & SubscriptionItem.pending_change.does_not_exist(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("Another change of this subscription is under way; try again.") from error
        raise


def finish_change(public_id: str, change_id: str, choices: list[dict]) -> None:
    """The change is done: the new choices stand and nothing is pending (only for that change: safe to repeat)."""
    try:
        SubscriptionItem(subscription_key(public_id), "SUBSCRIPTION").update(
            actions=[
                SubscriptionItem.choices.set(choices),
                SubscriptionItem.pending.remove(),
                SubscriptionItem.pending_change.remove(),
                SubscriptionItem.changes.add(1),
                SubscriptionItem.version.add(1),
            ],
            condition=SubscriptionItem.pending_change == change_id,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def drop_change(public_id: str, change_id: str) -> None:
    """Forget a change that could not be made (nothing of it was sold)."""
    try:
        SubscriptionItem(subscription_key(public_id), "SUBSCRIPTION").update(
            actions=[
                SubscriptionItem.pending.remove(),
                SubscriptionItem.pending_change.remove(),
                SubscriptionItem.version.add(1),
            ],
            condition=SubscriptionItem.pending_change == change_id,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def sales_between(starts_at: datetime, ends_at: datetime) -> list[Subscription]:
    """Every subscription ticketed in [starts_at, ends_at)."""
    items = SubscriptionItem.by_gsi1.query(
        SUBSCRIPTION_SALES, SubscriptionItem.gsi1sk.between(starts_at.isoformat(), ends_at.isoformat())
    )
    return [_subscription(item) for item in items if item.sold_at < ends_at]


def void_for_change(ticket: IssuedTicket, change_id: str) -> None:
    """The changed choice's old ticket becomes void, marked with the change (only from valid, or already void by
    this change: safe to repeat; a ticket refunded meanwhile stays as it is)."""
    try:
        TicketItem(order_key(ticket.order_id), ticket_sort_key(ticket.house_id, ticket.ticket_id)).update(
            actions=[TicketItem.status.set(TicketStatus.VOID.value), TicketItem.refund_id.set(change_id)],
            condition=(TicketItem.status == TicketStatus.VALID.value) | (TicketItem.refund_id == change_id),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("This ticket is no longer valid.", ticket_id=ticket.ticket_id) from error
        raise
