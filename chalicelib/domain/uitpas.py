"""UiTPAS social tariff (kansentarief) on a cart's places: one pass per place, within the pass's limits.

The UiTPAS number is personal data: it stays on the cart and the order (the buyer's export shows
it, erasure removes it) and never goes into logs, events or the exchange platform's documents.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol, TypeVar

from .catalog import STANDING_CATEGORY
from .errors import DomainError, FieldError, ValidationFailed
from .money import Money
from .texts import N_

UITPAS_TARIFF = "uitpas"  # the tariff code of a place priced with a social tariff (tickets, ledger, reports)
UITPAS_TARIFF_NAME = N_("UiTPAS social tariff")
NUMBER = re.compile(r"^[0-9]{13}$")  # a UiTPAS number: 13 digits (publiq documents no checksum)
SOCIAL_TARIFF_TYPE = "SOCIALTARIFF"


class UitpasRefused(DomainError):
    """UiTPAS grants this pass no social tariff here; `uitpas_message` is UiTPAS's own word to the buyer."""

    code = "uitpas_no_tariff"

    def __init__(self, detail: str, uitpas_message: str | None = None, **context: Any) -> None:
        super().__init__(detail, uitpas_message=uitpas_message, **context)


class UitpasBlocked(UitpasRefused):
    code = "uitpas_blocked"


class UitpasExpired(UitpasRefused):
    """The pass's social tariff (kansenstatuut) has expired."""

    code = "uitpas_expired"


class UitpasLimitReached(UitpasRefused):
    """The pass may not have the social tariff for more places of this performance."""

    code = "uitpas_limit_reached"


class UitpasUnknown(DomainError):
    """UiTPAS does not know the number."""

    code = "uitpas_unknown"


class UitpasNotOffered(DomainError):
    """The performance is not a UiTPAS event (not in UiTdatabank), so no social tariff applies."""

    code = "uitpas_not_offered"


class UitpasUnavailable(DomainError):
    """UiTPAS did not answer (after retries): nothing was changed; try again later."""

    code = "uitpas_unavailable"


# UiTPAS's problem types (`https://api.publiq.be/probs/uitpas/...`) → our refusal.
REFUSALS_BY_PROBLEM = {"uitpas-blocked": UitpasBlocked, "social-tariff-expired": UitpasExpired}

STATUS_BY_CODE = {
    "uitpas_no_tariff": 422,
    "uitpas_blocked": 422,
    "uitpas_expired": 422,
    "uitpas_limit_reached": 422,
    "uitpas_unknown": 422,
    "uitpas_not_offered": 409,
    "uitpas_unavailable": 503,
}


@dataclass(frozen=True)
class SocialTariffUse:
    """The social tariff one place uses: the pass, UiTPAS's tariff and event, and the price it replaced."""

    uitpas_number: str
    tariff_id: str
    tariff_name: str
    event_id: str
    price_cents: int
    regular_price_cents: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "uitpas_number": self.uitpas_number,
            "tariff_id": self.tariff_id,
            "tariff_name": self.tariff_name,
            "event_id": self.event_id,
            "price": self.price_cents,
            "regular_price": self.regular_price_cents,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SocialTariffUse:
        return cls(
            data["uitpas_number"],
            data["tariff_id"],
            data.get("tariff_name", ""),
            data["event_id"],
            int(data["price"]),
            int(data["regular_price"]),
        )


def clean_number(raw: str) -> str:
    """The UiTPAS number without spaces or dots; ValidationFailed if it is not 13 digits."""
    number = re.sub(r"[\s.]", "", raw or "")
    if not NUMBER.match(number):
        raise ValidationFailed(
            "A UiTPAS number has 13 digits.",
            [FieldError("uitpas_number", "invalid_uitpas_number", "A UiTPAS number has 13 digits.")],
        )
    return number


class Place(Protocol):
    """A cart's or an order's line, as far as its place in a hold goes."""

    @property
    def hold_id(self) -> str: ...
    @property
    def seat_id(self) -> str | None: ...


class PricedPlace(Place, Protocol):
    """A line (a dataclass) that a social tariff can reprice."""

    __dataclass_fields__: ClassVar[dict[str, Any]]  # what `dataclasses.replace` asks of its argument

    @property
    def price(self) -> Money: ...


class OfferedTariff(Protocol):
    """A tariff UiTPAS offers a pass, as far as choosing one goes."""

    @property
    def type(self) -> str: ...
    @property
    def remaining(self) -> int | None: ...


_Line = TypeVar("_Line", bound=PricedPlace)
_Tariff = TypeVar("_Tariff", bound=OfferedTariff)


def place_keys(lines: Sequence[Place]) -> list[str]:
    """Each cart line's place within its hold: the seat id, or `standing-N` (from 1) for a standing place."""
    keys: list[str] = []
    standing: Counter[str] = Counter()
    for line in lines:
        if line.seat_id:
            keys.append(line.seat_id)
        else:
            standing[line.hold_id] += 1
            keys.append(f"{STANDING_CATEGORY}-{standing[line.hold_id]}")
    return keys


def apply_social_tariffs(lines: Sequence[_Line], uses: Mapping[str, Mapping[str, Any]]) -> list[_Line]:
    """The hold's lines with each place that has a social tariff (`uses`: place → stored use) repriced."""
    if not uses:
        return list(lines)
    priced = []
    for line, place in zip(lines, place_keys(lines)):
        use = uses.get(place)
        if use is None:
            priced.append(line)
            continue
        tariff = SocialTariffUse.from_dict(use)
        priced.append(
            replace(
                line, tariff_code=UITPAS_TARIFF, price=Money(tariff.price_cents, line.price.currency), uitpas=tariff
            )
        )
    return priced


def choose_social_tariff(
    available: Sequence[_Tariff], end_user_message: str | None, problem_type: str | None = None
) -> _Tariff:
    """The social tariff among what UiTPAS offers this pass; refused (with UiTPAS's message) if none applies."""
    for tariff in available:
        if tariff.type == SOCIAL_TARIFF_TYPE and (tariff.remaining is None or tariff.remaining > 0):
            return tariff
    refusal = REFUSALS_BY_PROBLEM.get((problem_type or "").rstrip("/").rsplit("/", 1)[-1], UitpasRefused)
    raise refusal("UiTPAS grants this pass no social tariff for this performance.", end_user_message)


def check_pass_limit(uses_of_event: int, remaining: int | None) -> None:
    """A pass may be used for at most `remaining` places of one event (UiTPAS says how many are left)."""
    if remaining is not None and uses_of_event > remaining:
        raise UitpasLimitReached(
            f"This pass may have the social tariff for {remaining} place(s) of this performance.", remaining=remaining
        )


# Why a checkout with social-tariff places ended without an order (the workflow's error name → reason).
CHECKOUT_FAILURES = {
    "UitpasRefused": "uitpas_refused",
    "UitpasBlocked": "uitpas_refused",
    "UitpasExpired": "uitpas_refused",
    "UitpasLimitReached": "uitpas_refused",
    "UitpasUnavailable": "uitpas_unavailable",
}
