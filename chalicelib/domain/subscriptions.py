"""Subscriptions (abonnement, keuzeabonnement): choose between `min_choices` and `max_choices` performances out of
a formula's list, possibly of several houses, at a discount.

One subscription is one place in each chosen performance. The buyer holds every chosen place at once or none
(one transaction, like a bundle), pays the discounted total as one cart line, and gets one ticket per
performance. The total goes over the places by the cluster agreement's split (`bundle_split`, which covers
subscriptions too): by list price, or, for a fixed price per performance, each place its fixed price; the
largest-remainder rule makes the shares add up to the total to the cent.

A formula may open a subscribers' pre-sale: from `presale_start` until `presale_end` its buyers may hold places
in its performances before their general sale opens. The normal hold path keeps refusing everyone else.

A chosen performance may be swapped for another one of the formula before the first starts, if the new place
has the same list price: the ticket keeps its price, so no money moves between buyer and cluster; the ledger
moves the share from the old performance's house to the new one's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .agreements import BASIS_POINTS, split_largest_remainder
from .catalog import LANGUAGES, Performance, PerformanceStatus
from .errors import FieldError, NotOnSale, ValidationFailed
from .holds import MAX_TRANSACTION_ITEMS
from .texts import N_

SUBSCRIPTION_TARIFF = "subscription"  # the tariff code of a subscription's tickets
SUBSCRIPTION_TARIFF_NAME = N_("Subscription")
DISCOUNT_KINDS = ("percent", "fixed_per_performance")
MAX_PERFORMANCES_PER_FORMULA = 60
MAX_CHOICES = MAX_TRANSACTION_ITEMS // 2  # each chosen place and its hold record in one transaction


@dataclass(frozen=True)
class Discount:
    """`percent`: `value` basis points off the list prices' sum; `fixed_per_performance`: `value` cents a place."""

    kind: str = "percent"
    value: int = 0

    def total(self, list_prices: Sequence[int]) -> int:
        """What the chosen places cost together, in cents (half a cent of discount rounds up for the buyer)."""
        if self.kind == "fixed_per_performance":
            return self.value * len(list_prices)
        listed = sum(list_prices)
        return listed - (listed * self.value + BASIS_POINTS // 2) // BASIS_POINTS

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class SubscriptionFormula:
    id: str
    name: dict[str, str]
    performance_ids: tuple[str, ...]
    min_choices: int
    max_choices: int
    discount: Discount
    sales_start: datetime
    sales_end: datetime
    status: PerformanceStatus
    season: str
    house_id: str | None = None  # a house's own formula; None: the cluster coordinator's, across houses
    presale_start: datetime | None = None
    presale_end: datetime | None = None
    renews: str | None = None  # last season's formula whose subscribers may renew first
    currency: str = "EUR"
    created_by: str = ""
    created_at: datetime | None = None
    # Renewal: last season's subscribers hold their same seats in the corresponding performances (last season's
    # performance id → this season's) from renewal_start until renewal_end, before anyone else may buy.
    renewal_start: datetime | None = None
    renewal_end: datetime | None = None
    corresponding: Mapping[str, str] = field(default_factory=dict)

    def check_on_sale(self, now: datetime) -> None:
        """Raise NotOnSale unless subscriptions of this formula may be bought now (pre-sale included)."""
        if self.status is PerformanceStatus.CANCELLED:
            raise NotOnSale("This subscription is cancelled.", reason="cancelled", formula_id=self.id)
        if self.status is PerformanceStatus.PAUSED:
            raise NotOnSale("Sales of this subscription are paused.", reason="paused", formula_id=self.id)
        opens = min(self.sales_start, self.presale_start or self.sales_start)
        if now < opens:
            raise NotOnSale(
                "Sales of this subscription have not started yet.",
                reason="not_started",
                formula_id=self.id,
                sales_start=opens.isoformat(),
            )
        if now >= self.sales_end:
            raise NotOnSale("Sales of this subscription have ended.", reason="ended", formula_id=self.id)

    def is_on_sale(self, now: datetime) -> bool:
        try:
            self.check_on_sale(now)
        except NotOnSale:
            return False
        return True

    def in_presale(self, now: datetime) -> bool:
        return bool(self.presale_start and self.presale_end and self.presale_start <= now < self.presale_end)

    def in_renewal(self, now: datetime) -> bool:
        return bool(self.renewal_start and self.renewal_end and self.renewal_start <= now < self.renewal_end)

    def check_renewal(self, now: datetime) -> None:
        """Raise NotOnSale unless last season's subscribers may renew now."""
        if self.status is not PerformanceStatus.ON_SALE or not self.in_renewal(now):
            raise NotOnSale(
                "Renewing this subscription is not possible now.", reason="not_renewal_window", formula_id=self.id
            )

    def check_performance(self, performance: Performance, now: datetime) -> None:
        """May a subscriber take a place in `performance` now? Before its general sale only in the pre-sale
        (or, for a renewing subscriber, in the renewal window)."""
        try:
            performance.check_on_sale(now)
        except NotOnSale as refusal:
            early = self.in_presale(now) or self.in_renewal(now)
            if refusal.context.get("reason") != "not_started" or not early:
                refusal.context["performance_id"] = performance.id
                raise

    def check_choice_count(self, chosen: int) -> None:
        if not self.min_choices <= chosen <= self.max_choices:
            raise ValidationFailed(
                f"Choose {self.min_choices} to {self.max_choices} performances.",
                [
                    FieldError(
                        "performances",
                        "wrong_number_of_choices",
                        f"Choose {self.min_choices} to {self.max_choices} performances.",
                    )
                ],
                min_choices=self.min_choices,
                max_choices=self.max_choices,
            )


def validate_formula(formula: SubscriptionFormula, performances: Mapping[str, Performance]) -> SubscriptionFormula:
    """Refuse a formula that cannot be sold as described; lists every offending field.

    `performances` holds the formula's performances that exist; a house's own formula lists only its own.
    """
    errors: list[FieldError] = []
    if "nl" not in formula.name or set(formula.name) - set(LANGUAGES):
        errors.append(FieldError("name", "invalid_languages", "Give a Dutch (nl) name; fr and en are optional."))
    ids = formula.performance_ids
    if len(ids) > MAX_PERFORMANCES_PER_FORMULA:
        errors.append(FieldError("performances", "too_many", f"At most {MAX_PERFORMANCES_PER_FORMULA} performances."))
    seen: set[str] = set()
    for index, performance_id in enumerate(ids):
        field_name = f"performances[{index}]"
        if performance_id in seen:
            errors.append(FieldError(field_name, "duplicate", "This performance is listed twice."))
        seen.add(performance_id)
        performance = performances.get(performance_id)
        if performance is None:
            errors.append(FieldError(field_name, "unknown_performance", "No such performance."))
            continue
        if formula.house_id and performance.house_id != formula.house_id:
            errors.append(
                FieldError(field_name, "other_house", "A house's own subscription lists its own performances only.")
            )
        if performance.currency != formula.currency:
            errors.append(
                FieldError(field_name, "currency_mismatch", f"This performance sells in {performance.currency}.")
            )
        if performance.status is PerformanceStatus.CANCELLED:
            errors.append(FieldError(field_name, "cancelled", "This performance is cancelled."))
    if not 1 <= formula.min_choices <= formula.max_choices:
        errors.append(FieldError("min_choices", "out_of_range", "At least one, and no more than max_choices."))
    if formula.max_choices > min(len(set(ids)), MAX_CHOICES):
        errors.append(
            FieldError("max_choices", "out_of_range", f"At most the number of performances, and at most {MAX_CHOICES}.")
        )
    if formula.discount.kind not in DISCOUNT_KINDS:
        errors.append(FieldError("discount.kind", "invalid_choice", "Use percent or fixed_per_performance."))
    elif formula.discount.kind == "percent" and not 0 <= formula.discount.value <= BASIS_POINTS:
        errors.append(FieldError("discount.value", "out_of_range", "A percentage is 0 to 10000 basis points."))
    elif formula.discount.value < 0:
        errors.append(FieldError("discount.value", "out_of_range", "A price is not negative."))
    if formula.sales_start >= formula.sales_end:
        errors.append(FieldError("sales_end", "sales_window_empty", "Sales must end after they start."))
    if (formula.presale_start is None) != (formula.presale_end is None):
        errors.append(FieldError("presale_end", "presale_incomplete", "Give the pre-sale's start and end, or none."))
    elif formula.presale_start and formula.presale_end and formula.presale_start >= formula.presale_end:
        errors.append(FieldError("presale_end", "presale_window_empty", "The pre-sale must end after it starts."))
    if formula.renews == formula.id:
        errors.append(FieldError("renews", "renews_itself", "A formula renews last season's, not itself."))
    errors.extend(_renewal_errors(formula, performances))
    if errors:
        raise ValidationFailed("The subscription formula is not valid.", errors)
    return formula


def _renewal_errors(formula: SubscriptionFormula, performances: Mapping[str, Performance]) -> list[FieldError]:
    """A renewing formula needs a renewal window that closes before anyone else can buy: before the formula's
    own sale (and pre-sale) and before the general sale of every performance a renewed seat lies in."""
    if not formula.renews:
        if formula.renewal_start or formula.renewal_end or formula.corresponding:
            return [FieldError("renews", "renewal_without_formula", "Name last season's formula to renew.")]
        return []
    errors = []
    start, end = formula.renewal_start, formula.renewal_end
    if start is None or end is None or start >= end:
        return [FieldError("renewal_end", "renewal_window_empty", "Give a renewal window that ends after it starts.")]
    if end > min(formula.sales_start, formula.presale_start or formula.sales_start):
        errors.append(
            FieldError(
                "renewal_end",
                "renewal_after_sales_start",
                "The renewal must end before the subscription's (pre-)sale opens.",
            )
        )
    if not formula.corresponding:
        errors.append(FieldError("corresponding", "too_few", "Say which performance continues which of last season."))
    for old_id, new_id in formula.corresponding.items():
        field_name = f"corresponding.{old_id}"
        if new_id not in formula.performance_ids:
            errors.append(FieldError(field_name, "not_in_formula", "This performance is not in the subscription."))
        elif new_id in performances and end > performances[new_id].sales_start:
            errors.append(
                FieldError(
                    field_name,
                    "renewal_after_general_sale",
                    "The renewal must end before this performance's general sale opens.",
                )
            )
    return errors


def price_places(discount: Discount, list_prices: Sequence[int], rule: str) -> list[int]:
    """Each chosen place's share (cents) of the discounted total, in the order given; exact to the cent.

    `rule` is the agreement's split: `list_price` weighs the places by their list prices; `fixed` gives each place
    the formula's fixed price (for a percentage discount there is no fixed amount, so list prices are used).
    """
    total = discount.total(list_prices)
    if rule == "fixed" and discount.kind == "fixed_per_performance":
        return [discount.value] * len(list_prices)
    return split_largest_remainder(total, list(list_prices))


def check_swap(
    formula: SubscriptionFormula, chosen: Sequence[str], leaving: Performance, joining: Performance, now: datetime
) -> None:
    """A choice may move to a performance of the formula not chosen yet, before the one it leaves starts."""
    errors = []
    if leaving.id not in chosen:
        errors.append(FieldError("from_performance_id", "not_chosen", "This performance is not one of your choices."))
    elif now >= leaving.starts_at:
        errors.append(FieldError("from_performance_id", "already_started", "This performance has already started."))
    if joining.id not in formula.performance_ids:
        errors.append(FieldError("to_performance_id", "not_in_formula", "This performance is not in the subscription."))
    elif joining.id in chosen:
        errors.append(FieldError("to_performance_id", "already_chosen", "You have already chosen this performance."))
    if errors:
        raise ValidationFailed("This change is not possible.", errors)
    formula.check_performance(joining, now)


def check_same_price(old_list_price: int, new_list_price: int) -> None:
    """A swap keeps the ticket's price, so only a place with the same list price may replace it."""
    if old_list_price != new_list_price:
        raise ValidationFailed(
            "Choose a place with the same list price.",
            [
                FieldError(
                    "to_performance_id",
                    "price_differs",
                    f"The new place lists at {new_list_price} cents, the old one at {old_list_price}.",
                )
            ],
            old_list_price=old_list_price,
            new_list_price=new_list_price,
        )
