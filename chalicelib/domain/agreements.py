"""Cluster agreements: how the money of a sale is shared between houses.

Set by the cluster coordinator: the selling house's commission (a percentage in basis points or a
fixed amount per ticket; cluster-wide, or for a pair seller → owner), who bears the payment
provider's fees (the owning houses, in proportion to their part of the order, or the selling
house), the VAT rate per tariff (6 % for cultural events in Belgium by default), and how bundle
and subscription revenue is split over houses (by list price or by fixed amounts). Every split of
an amount is exact to the cent by the largest-remainder rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldError, ValidationFailed
from .money import Money

BASIS_POINTS = 10_000
DEFAULT_VAT_BP = 600  # 6 %: admission to cultural events in Belgium
FEE_BEARERS = ("owner", "seller")
BUNDLE_SPLITS = ("list_price", "fixed")


@dataclass(frozen=True)
class CommissionRule:
    kind: str = "percent"  # percent (value in basis points of the ticket price) | fixed (cents per ticket)
    value: int = 0

    def on(self, price_cents: int, vat_cents: int) -> int:
        """The commission on one ticket, never more than its price without VAT."""
        raw = (price_cents * self.value + BASIS_POINTS // 2) // BASIS_POINTS if self.kind == "percent" else self.value
        return max(0, min(raw, price_cents - vat_cents))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class Agreement:
    version: int = 0
    commission: CommissionRule = CommissionRule()
    pair_commissions: Mapping[str, CommissionRule] = field(default_factory=dict)  # "seller>owner" → rule
    fee_bearer: str = "owner"
    fee_percent_bp: int = 150  # the payment provider's price per payment: 1.5 % …
    fee_fixed_cents: int = 25  # … + €0.25 (European cards); set to the cluster's own contract
    vat_rate_bp: int = DEFAULT_VAT_BP
    tariff_vat_bp: Mapping[str, int] = field(default_factory=dict)
    bundle_split: str = "list_price"
    desk_resale: bool = True  # may a house's box office sell the other houses' performances?

    def commission_rule(self, seller_house_id: str | None, owner_house_id: str) -> CommissionRule | None:
        """The rule for tickets of `owner` sold by `seller`; None when a house sells its own."""
        if not seller_house_id or seller_house_id == owner_house_id:
            return None
        return self.pair_commissions.get(f"{seller_house_id}>{owner_house_id}", self.commission)

    def vat_rate(self, tariff_code: str) -> int:
        return self.tariff_vat_bp.get(tariff_code, self.vat_rate_bp)

    def payment_fee(self, amount: Money) -> Money:
        """The provider's fee for one payment of `amount` (none for a free order)."""
        if amount.cents <= 0:
            return Money(0, amount.currency)
        cents = (amount.cents * self.fee_percent_bp + BASIS_POINTS // 2) // BASIS_POINTS + self.fee_fixed_cents
        return Money(min(cents, amount.cents), amount.currency)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commission": self.commission.to_dict(),
            "pair_commissions": {pair: rule.to_dict() for pair, rule in self.pair_commissions.items()},
            "fee_bearer": self.fee_bearer,
            "fee_percent_bp": self.fee_percent_bp,
            "fee_fixed_cents": self.fee_fixed_cents,
            "vat_rate_bp": self.vat_rate_bp,
            "tariff_vat_bp": dict(self.tariff_vat_bp),
            "bundle_split": self.bundle_split,
            "desk_resale": self.desk_resale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Agreement:
        return cls(
            version=int(data.get("version", 0)),
            commission=CommissionRule(**data.get("commission", {})),
            pair_commissions={
                pair: CommissionRule(**rule) for pair, rule in (data.get("pair_commissions") or {}).items()
            },
            fee_bearer=data.get("fee_bearer", "owner"),
            fee_percent_bp=int(data.get("fee_percent_bp", 150)),
            fee_fixed_cents=int(data.get("fee_fixed_cents", 25)),
            vat_rate_bp=int(data.get("vat_rate_bp", DEFAULT_VAT_BP)),
            tariff_vat_bp={code: int(bp) for code, bp in (data.get("tariff_vat_bp") or {}).items()},
            bundle_split=data.get("bundle_split", "list_price"),
            desk_resale=bool(data.get("desk_resale", True)),
        )


def validate_agreement(agreement: Agreement) -> Agreement:
    """Refuse rules that cannot be applied; lists every offending field."""
    errors = []

    def check_rule(path: str, rule: CommissionRule) -> None:
        if rule.kind not in ("percent", "fixed"):
            errors.append(FieldError(f"{path}.kind", "invalid_choice", "Use percent or fixed."))
        elif rule.kind == "percent" and not 0 <= rule.value <= BASIS_POINTS:
            errors.append(FieldError(f"{path}.value", "out_of_range", "A percentage is 0 to 10000 basis points."))
        elif rule.kind == "fixed" and not 0 <= rule.value <= 100_000:
            errors.append(FieldError(f"{path}.value", "out_of_range", "A fixed commission is 0 to 100000 cents."))

    check_rule("commission", agreement.commission)
    for pair, rule in agreement.pair_commissions.items():
        seller, _, owner = pair.partition(">")
        if not seller or not owner or seller == owner:
            errors.append(FieldError(f"pair_commissions.{pair}", "invalid_pair", "Write seller>owner, two houses."))
        check_rule(f"pair_commissions.{pair}", rule)
    if agreement.fee_bearer not in FEE_BEARERS:
        errors.append(FieldError("fee_bearer", "invalid_choice", "Use owner or seller."))
    if agreement.bundle_split not in BUNDLE_SPLITS:
        errors.append(FieldError("bundle_split", "invalid_choice", "Use list_price or fixed."))
    for name, value in (
        ("fee_percent_bp", agreement.fee_percent_bp),
        ("vat_rate_bp", agreement.vat_rate_bp),
        *((f"tariff_vat_bp.{code}", bp) for code, bp in agreement.tariff_vat_bp.items()),
    ):
        if not 0 <= value <= 5_000:
            errors.append(FieldError(name, "out_of_range", "0 to 5000 basis points."))
    if not 0 <= agreement.fee_fixed_cents <= 1_000:
        errors.append(FieldError("fee_fixed_cents", "out_of_range", "0 to 1000 cents."))
    if errors:
        raise ValidationFailed("The agreement has invalid rules.", errors)
    return agreement


def split_largest_remainder(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split `total_cents` in proportion to `weights`, exactly: floors first, then the largest remainders
    get one cent each (ties to the earlier part). Zero weights get nothing unless all are zero (equal split)."""
    if not weights:
        return []
    if total_cents < 0:
        return [-part for part in split_largest_remainder(-total_cents, weights)]
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    parts = [total_cents * weight // whole for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total_cents * weights[i] % whole), i))
    for index in remainders[: total_cents - sum(parts)]:
        parts[index] += 1
    return parts


def split_bundle(price: Money, components: Sequence[tuple[int, int]], rule: str) -> list[Money]:
    """A bundle's price over its performances: by list price, or by fixed amounts (scaled if they do not add up).

    `components` are (list price, fixed amount) per performance, in cents.
    """
    weights = [list_price if rule == "list_price" else fixed for list_price, fixed in components]
    return [Money(cents, price.currency) for cents in split_largest_remainder(price.cents, weights)]


def may_sell(
    seller_house_id: str,
    owner_house_id: str,
    agreement: Agreement,
    allocation_holders: Sequence[str] = (),
    fellow_houses: Sequence[str] = (),
) -> bool:
    """Whether `seller` may sell a place of `owner`'s performance, and so earn the commission on it: the owner
    itself, a house with its own `seller>owner` pair in the agreement, a house holding an allocation of the
    performance, or a house that owns a performance of the bundle or subscription formula the place is part of."""
    return (
        seller_house_id == owner_house_id
        or f"{seller_house_id}>{owner_house_id}" in agreement.pair_commissions
        or seller_house_id in allocation_holders
        or seller_house_id in fellow_houses
    )
