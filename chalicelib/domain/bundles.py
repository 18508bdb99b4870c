"""Bundles and festival passes: a fixed set of performances, possibly of several houses, sold as one product.

A bundle has one price. A buyer holds its places in every performance at once or in none (one
transaction), pays the bundle price, and gets one ticket per place; each ticket's price is its
share of the bundle price, split over the performances by the cluster agreement's `bundle_split`
(by list price, or by the bundle's fixed amounts) with the largest-remainder rule, so the shares
add up to the bundle price to the cent and the ledger books each house its own share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .agreements import split_bundle, split_largest_remainder
from .catalog import LANGUAGES, STANDING_CATEGORY, Performance, PerformanceStatus
from .errors import FieldError, NotOnSale, ValidationFailed
from .holds import MAX_TRANSACTION_ITEMS
from .money import Money
from .texts import N_

BUNDLE_TARIFF = "bundle"  # the tariff code of a bundle's tickets (VAT per tariff applies to it too)
BUNDLE_TARIFF_NAME = N_("Bundle")  # printed on a bundle's tickets, in the buyer's language
MAX_PERFORMANCES_PER_BUNDLE = 20
MAX_PLACES_PER_PERFORMANCE = 10


@dataclass(frozen=True)
class BundleComponent:
    """One performance of a bundle: how many places one bundle gives in it, and its fixed share (cents) if set."""

    performance_id: str
    places: int = 1
    fixed_cents: int | None = None


@dataclass(frozen=True)
class Bundle:
    id: str
    name: dict[str, str]
    components: tuple[BundleComponent, ...]
    price: Money
    sales_start: datetime
    sales_end: datetime
    status: PerformanceStatus
    created_by: str = ""
    created_at: datetime | None = None

    @property
    def performance_ids(self) -> tuple[str, ...]:
        return tuple(component.performance_id for component in self.components)

    def component(self, performance_id: str) -> BundleComponent | None:
        return next((c for c in self.components if c.performance_id == performance_id), None)

    @property
    def places_per_bundle(self) -> int:
        return sum(component.places for component in self.components)

    def check_on_sale(self, now: datetime) -> None:
        """Raise NotOnSale (with the reason) unless the bundle itself may be sold now."""
        if self.status is PerformanceStatus.CANCELLED:
            raise NotOnSale("This bundle is cancelled.", reason="cancelled", bundle_id=self.id)
        if self.status is PerformanceStatus.PAUSED:
            raise NotOnSale("Sales of this bundle are paused.", reason="paused", bundle_id=self.id)
        if now < self.sales_start:
            raise NotOnSale(
                "Sales of this bundle have not started yet.",
                reason="not_started",
                bundle_id=self.id,
                sales_start=self.sales_start.isoformat(),
            )
        if now >= self.sales_end:
            raise NotOnSale("Sales of this bundle have ended.", reason="ended", bundle_id=self.id)

    def is_on_sale(self, now: datetime) -> bool:
        try:
            self.check_on_sale(now)
        except NotOnSale:
            return False
        return True


def validate_bundle(bundle: Bundle, performances: Mapping[str, Performance]) -> Bundle:
    """Refuse a bundle that cannot be sold as described; lists every offending field.

    `performances` holds the bundle's performances that exist (a missing one is a field error).
    """
    errors: list[FieldError] = []
    if "nl" not in bundle.name or set(bundle.name) - set(LANGUAGES):
        errors.append(FieldError("name", "invalid_languages", "Give a Dutch (nl) name; fr and en are optional."))
    ids = bundle.performance_ids
    if len(set(ids)) < 2:
        errors.append(FieldError("performances", "too_few", "A bundle has at least two different performances."))
    if len(ids) > MAX_PERFORMANCES_PER_BUNDLE:
        errors.append(FieldError("performances", "too_many", f"At most {MAX_PERFORMANCES_PER_BUNDLE} performances."))
    seen: set[str] = set()
    for index, component in enumerate(bundle.components):
        field = f"performances[{index}]"
        if component.performance_id in seen:
            errors.append(FieldError(f"{field}.performance_id", "duplicate", "This performance is listed twice."))
        seen.add(component.performance_id)
        performance = performances.get(component.performance_id)
        if performance is None:
            errors.append(FieldError(f"{field}.performance_id", "unknown_performance", "No such performance."))
        else:
            if performance.currency != bundle.price.currency:
                errors.append(
                    FieldError(
                        f"{field}.performance_id",
                        "currency_mismatch",
                        f"This performance sells in {performance.currency}.",
                    )
                )
            if performance.status is PerformanceStatus.CANCELLED:
                errors.append(FieldError(f"{field}.performance_id", "cancelled", "This performance is cancelled."))
            elif bundle.sales_end > performance.starts_at:
                errors.append(
                    FieldError(
                        "sales_end",
                        "sales_after_start",
                        f"Bundle sales must end by the start of {component.performance_id}.",
                    )
                )
        if not 1 <= component.places <= MAX_PLACES_PER_PERFORMANCE:
            errors.append(FieldError(f"{field}.places", "out_of_range", f"1 to {MAX_PLACES_PER_PERFORMANCE} places."))
    fixed = [component.fixed_cents for component in bundle.components if component.fixed_cents is not None]
    if fixed:
        if len(fixed) != len(bundle.components):
            errors.append(
                FieldError(
                    "performances",
                    "fixed_amounts_incomplete",
                    "Give a fixed amount for every performance, or for none.",
                )
            )
        elif sum(fixed) != bundle.price.cents:
            errors.append(
                FieldError(
                    "performances",
                    "fixed_amounts_do_not_add_up",
                    f"The fixed amounts add up to {sum(fixed)} cents, not the price {bundle.price.cents}.",
                )
            )
    if bundle.price.cents < 0:
        errors.append(FieldError("price", "out_of_range", "A price is not negative."))
    if bundle.sales_start >= bundle.sales_end:
        errors.append(FieldError("sales_end", "sales_window_empty", "Sales must end after they start."))
    # All places of one bundle are claimed in one transaction, each hold record included.
    if bundle.places_per_bundle + len(bundle.components) > MAX_TRANSACTION_ITEMS:
        errors.append(
            FieldError(
                "performances",
                "too_large",
                f"One bundle's places and holds must fit one transaction ({MAX_TRANSACTION_ITEMS}).",
            )
        )
    if errors:
        raise ValidationFailed("The bundle is not valid.", errors)
    return bundle


def list_price(performance: Performance, category: str) -> int:
    """What a place of `category` costs on its own: the performance's first (full) tariff."""
    prices = performance.tariffs[0].prices if performance.tariffs else {}
    return int(prices.get(category, prices.get(STANDING_CATEGORY, 0)))


def price_places(
    bundle: Bundle,
    places: Sequence[tuple[str, str]],
    performances: Mapping[str, Performance],
    rule: str,
    quantity: int = 1,
) -> list[Money]:
    """Each place's share of `quantity` bundles: the price goes over the performances by `rule`, then over a
    performance's places by their list prices; exact to the cent.

    `places` are (performance id, category) of every place held, in order; the result is in the same order.
    A `fixed` rule without fixed amounts on the bundle falls back to list prices.
    """
    if rule == "fixed" and any(c.fixed_cents is None for c in bundle.components):
        rule = "list_price"
    total = Money(bundle.price.cents * quantity, bundle.price.currency)
    list_prices = [list_price(performances[performance_id], category) for performance_id, category in places]
    components = []
    for component in bundle.components:
        listed = sum(
            price
            for (performance_id, _), price in zip(places, list_prices)
            if performance_id == component.performance_id
        )
        components.append((listed, (component.fixed_cents or 0) * quantity))
    per_performance = split_bundle(total, components, rule)
    shares = [0] * len(places)
    for component, part in zip(bundle.components, per_performance):
        indexes = [i for i, (performance_id, _) in enumerate(places) if performance_id == component.performance_id]
        for index, cents in zip(indexes, split_largest_remainder(part.cents, [list_prices[i] for i in indexes])):
            shares[index] = cents
    return [Money(cents, bundle.price.currency) for cents in shares]


def bundles_available(bundle: Bundle, available_places: Mapping[str, int]) -> int:
    """How many bundles can still be sold: the minimum over its performances of free places // places per bundle."""
    return min((max(0, available_places.get(c.performance_id, 0)) // c.places for c in bundle.components), default=0)
