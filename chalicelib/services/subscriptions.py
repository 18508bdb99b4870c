"""Subscription services: formulas, holding the chosen performances at once, the subscription record after
payment, and changing one choice for another performance of the formula."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import ports
from ..domain.bundles import list_price
from ..domain.catalog import Performance, PerformanceStatus
from ..domain.errors import FieldError, HoldTooLarge, NotFound, NotOnSale, SeatsUnavailable, ValidationFailed
from ..domain.holds import MAX_TRANSACTION_ITEMS, Hold
from ..domain.ledger import exchange_entries
from ..domain.money import Money
from ..domain.orders import Order, OrderLine, TicketStatus
from ..domain.subscriptions import (
    SUBSCRIPTION_TARIFF,
    SubscriptionFormula,
    check_same_price,
    check_swap,
    validate_formula,
)
from ..observability import count, logger
from ..store import catalog, reservations, settlements
from ..store import orders as order_store
from ..store import subscriptions as store
from .cart_pricing import held_places
from .group_holds import PlaceChoice, claim_together
from .ticket_issuing import booked_shares, make_tickets, with_shares

SUBSCRIPTION = "subscription"  # the hold group's kind
CHANGED_LINE_BASE = 10_000  # a changed choice's ticket gets line index base + n: never one of the order's own lines


def create_formula(formula: SubscriptionFormula) -> SubscriptionFormula:
    """Validate a formula against its performances and store it (its id must be new)."""
    performances = {}
    for performance_id in dict.fromkeys(formula.performance_ids):
        try:
            performances[performance_id] = catalog.get_performance(performance_id)
        except NotFound:
            pass
    if formula.renews:
        try:
            store.get_formula(formula.renews)
        except NotFound:
            raise ValidationFailed(
                "The subscription formula is not valid.",
                [FieldError("renews", "unknown_formula", "No such formula last season.")],
            ) from None
    store.create_formula(validate_formula(formula, performances))
    logger.info(
        "subscription formula created", extra={"formula_id": formula.id, "performances": len(formula.performance_ids)}
    )
    return formula


def performances_of(formula: SubscriptionFormula) -> dict[str, Performance]:
    return {performance_id: catalog.get_performance(performance_id) for performance_id in formula.performance_ids}


def hold_subscription(
    formula_id: str, session_token: str, choices: dict[str, PlaceChoice], now: datetime
) -> list[Hold]:
    """Hold one place in each chosen performance in ONE transaction: all or none. In the formula's pre-sale its
    performances may be held before their general sale opens."""
    formula = store.get_formula(formula_id)
    formula.check_on_sale(now)
    logger.thread_safe_append_keys(formula_id=formula_id)
    foreign = sorted(set(choices) - set(formula.performance_ids))
    if foreign:
        raise ValidationFailed(
            "These performances are not in the subscription.",
            [
                FieldError(f"performances.{p}", "not_in_formula", "This performance is not in the subscription.")
                for p in foreign
            ],
        )
    holds = _hold_chosen(formula, choices, session_token, now)
    count("SubscriptionHoldsCreated")
    logger.info("subscription hold created", extra={"hold_id": holds[0].id, "performances": len(holds)})
    return holds


def _hold_chosen(
    formula: SubscriptionFormula, choices: dict[str, PlaceChoice], session_token: str, now: datetime
) -> list[Hold]:
    """One place in each chosen performance, in one transaction, if the formula allows this choice now."""
    formula.check_choice_count(len(choices))
    if 2 * len(choices) > MAX_TRANSACTION_ITEMS:
        raise HoldTooLarge(
            "So many performances do not fit one all-or-nothing transaction.", limit=MAX_TRANSACTION_ITEMS
        )
    performances = {performance_id: catalog.get_performance(performance_id) for performance_id in choices}
    for performance in performances.values():
        formula.check_performance(performance, now)
    return claim_together(
        formula.id, SUBSCRIPTION, 1, performances, {p: 1 for p in performances}, choices, session_token, now
    )


def renew(subscription_id: str, session_token: str, now: datetime) -> list[Hold]:
    """Last season's subscriber holds their same seats (and standing places) in the corresponding performances of
    the formula that renews theirs, during its renewal window, before anyone else may buy it."""
    old = store.get_subscription(subscription_id)
    successor = next((f for f in store.renewals_of(old.formula_id) if f.in_renewal(now)), None)
    if successor is None:
        raise NotOnSale("Renewing this subscription is not possible now.", reason="not_renewal_window")
    successor.check_renewal(now)
    choices = {
        successor.corresponding[c["performance_id"]]: PlaceChoice(seat_ids=(c["seat_id"],) if c["seat_id"] else ())
        for c in old.choices
        if c["performance_id"] in successor.corresponding
    }
    if not choices:
        raise NotFound("None of your performances continues this season.", formula_id=successor.id)
    holds = _hold_chosen(successor, choices, session_token, now)
    count("SubscriptionRenewalHolds")
    logger.info("subscription renewal held", extra={"hold_id": holds[0].id, "formula_id": successor.id})
    return holds


def public_id_for(order_id: str, group: str) -> str:
    """Stable per purchase, so a retried checkout task finds the same subscription."""
    return "s_" + hashlib.sha256(f"subscription:{order_id}:{group}".encode()).hexdigest()[:20]


def record_sales(order: Order, tickets: Iterable[order_store.IssuedTicket], now: datetime) -> list[store.Subscription]:
    """A subscription record (with its secret id) for each subscription purchase of the paid order, once."""
    by_line = {ticket.line_index: ticket for ticket in tickets}
    groups: dict[str, list[OrderLine]] = {}
    for line in order.lines:
        if line.bundle_group and line.tariff_code == SUBSCRIPTION_TARIFF:
            groups.setdefault(line.bundle_group, []).append(line)
    sold = []
    for group, lines in sorted(groups.items()):
        choices = [
            {
                "performance_id": line.performance_id,
                "house_id": line.house_id,
                "hold_id": line.hold_id,
                "ticket_id": by_line[line.index].ticket_id,
                "seat_id": line.seat_id,
                "category": line.category,
                "price": line.price.cents,
            }
            for line in lines
        ]
        formula_id = lines[0].bundle_id
        assert formula_id is not None  # a subscription's places carry its formula's id
        sold.append(
            store.record_sale(public_id_for(order.id, group), formula_id, order.id, choices, order.completed_at or now)
        )
    if sold:
        count("SubscriptionsSold", len(sold))
    return sold


def subscriptions_of(order: Order) -> list[store.Subscription]:
    """The order's subscriptions (for its buyer's confirmation)."""
    groups = sorted(
        {line.bundle_group for line in order.lines if line.bundle_group and line.tariff_code == SUBSCRIPTION_TARIFF}
    )
    found = (store.find(public_id_for(order.id, group)) for group in groups)
    return [subscription for subscription in found if subscription]


def view(subscription_id: str, now: datetime) -> tuple[store.Subscription, SubscriptionFormula]:
    """The subscription its id opens, with any change under way finished first."""
    subscription = store.get_subscription(subscription_id)
    if subscription.pending:
        _finish(subscription, subscription.pending, now)
        subscription = store.get_subscription(subscription_id)
    return subscription, store.get_formula(subscription.formula_id)


def change_choice(
    subscription_id: str, leaving_id: str, joining_id: str, choice: PlaceChoice, now: datetime
) -> store.Subscription:
    """Swap a chosen performance for another of the formula: hold the new place, note the change, sell the new
    place and issue its ticket, then void the old ticket and free its place, and move the share in the ledger.

    Each step is conditional and the change is noted before anything is sold, so a failure midway is finished by
    the next call and neither the old nor the new place is ever lost. The ticket keeps its price: only a place
    with the same list price may replace the old one.
    """
    subscription, formula = view(subscription_id, now)
    leaving = catalog.get_performance(leaving_id)
    joining = catalog.get_performance(joining_id)
    check_swap(formula, [c["performance_id"] for c in subscription.choices], leaving, joining, now)
    old = _chosen(subscription, leaving_id)
    old_ticket = order_store.ticket_by_id(old["ticket_id"])
    if old_ticket is None or old_ticket.status is not TicketStatus.VALID:
        raise ValidationFailed(
            "This choice's ticket is no longer valid.",
            [FieldError("from_performance_id", "ticket_not_valid", "Its ticket was refunded or voided.")],
        )
    old_list_price = list_price(leaving, old["category"])
    if choice.category is None and not choice.seat_ids and joining.seated:
        choice = replace(choice, category=old["category"])  # the same kind of place by default
    hold = claim_together(
        formula.id, SUBSCRIPTION, 1, {joining_id: joining}, {joining_id: 1}, {joining_id: choice}, subscription.id, now
    )[0]
    ((_, seat_id, category),) = held_places([hold])
    try:
        check_same_price(old_list_price, list_price(joining, category))
        pending = {
            "change_id": ports.ids().change_id(),
            "from": leaving_id,
            "to": joining_id,
            "hold_id": hold.id,
            "seat_id": seat_id,
            "category": category,
        }
        store.begin_change(subscription, pending)
    except Exception:
        reservations.release_bundle_holds([hold], now)
        raise
    _finish(subscription, pending, now)
    count("SubscriptionChoicesChanged")
    logger.info("subscription choice changed", extra={"change_id": pending["change_id"]})
    return store.get_subscription(subscription_id)


def _chosen(subscription: store.Subscription, performance_id: str) -> dict[str, Any]:
    """The subscription's choice of a performance (check_swap let only a chosen one leave)."""
    choice = subscription.choice(performance_id)
    if choice is None:
        raise NotFound("This subscription has no place at that performance.", performance_id=performance_id)
    return choice


def _finish(subscription: store.Subscription, pending: dict[str, Any], now: datetime) -> None:
    """Carry a noted change through; every step may run again without effect."""
    order = order_store.get_order(subscription.order_id)
    old = _chosen(subscription, pending["from"])
    hold = reservations.get_hold(pending["hold_id"])
    try:
        reservations.sell_hold(hold, order.id, now)
    except SeatsUnavailable:  # the new place lapsed and went to someone else: nothing changed, say so
        store.drop_change(subscription.public_id, pending["change_id"])
        raise
    joining = catalog.get_performance(pending["to"])
    line = OrderLine(
        CHANGED_LINE_BASE + subscription.changes,
        hold.id,
        joining.id,
        joining.house_id,
        pending["seat_id"],
        pending["category"],
        SUBSCRIPTION_TARIFF,
        Money(old["price"], joining.currency),
        subscription.formula_id,
        None,
    )
    agreement = settlements.get_agreement()
    new_tickets, new_shares = with_shares(
        make_tickets(replace(order, lines=(line,)), now), order.seller_house_id, agreement
    )
    order_store.put_tickets(new_tickets)
    old_ticket = next(t for t in order_store.tickets_of(order.id, old["house_id"]) if t.ticket_id == old["ticket_id"])
    store.void_for_change(old_ticket, pending["change_id"])
    old_hold = reservations.get_hold(old_ticket.hold_id)
    reservations.return_sold_places(
        old_hold,
        order.id,
        pending["change_id"],
        [old_ticket.seat_id] if old_ticket.seat_id else [],
        0 if old_ticket.seat_id else 1,
    )
    order_store.put_ledger_entries(
        exchange_entries(
            order.id,
            pending["change_id"],
            booked_shares([old_ticket]),
            new_shares,
            order.seller_house_id,
            order.collected_by,
        ),
        now,
    )
    new_ticket = new_tickets[0]
    choices = [c for c in subscription.choices if c["performance_id"] != pending["from"]] + [
        {
            "performance_id": joining.id,
            "house_id": joining.house_id,
            "hold_id": hold.id,
            "ticket_id": new_ticket.ticket_id,
            "seat_id": pending["seat_id"],
            "category": pending["category"],
            "price": old["price"],
        }
    ]
    store.finish_change(subscription.public_id, pending["change_id"], choices)


def set_status(formula_id: str, status: str, house_id: str | None = None) -> SubscriptionFormula:
    """Change a formula's sale status; a house (`house_id`) only its own formula's (NotFound otherwise)."""
    return store.set_status(formula_id, PerformanceStatus(status), house_id)


def get_formula(formula_id: str) -> SubscriptionFormula:
    """A subscription formula as buyers see it on its hosted page (NotFound if none)."""
    return store.get_formula(formula_id)


def list_formulas() -> list[SubscriptionFormula]:
    """Every formula of the cluster."""
    return store.list_formulas()


def get_subscription(subscription_id: str) -> store.Subscription:
    """The subscription its id (public part and secret) opens, or NotFound (never saying which part was wrong)."""
    return store.get_subscription(subscription_id)


def price_split() -> str:
    """How a formula's discount is shared over its places: the cluster agreement's `bundle_split`."""
    return settlements.get_agreement().bundle_split
