"""Houses, productions, performances and their tariffs: the catalog's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from .errors import FieldError, NotOnSale, ValidationFailed
from .waiting_room import WaitingRoom

STANDING_CATEGORY = "standing"
LANGUAGES = ("nl", "fr", "en")


class PerformanceStatus(str, Enum):
    ON_SALE = "on_sale"
    PAUSED = "paused"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class House:
    id: str
    name: str
    slug: str
    website_domains: tuple[str, ...] = ()
    logo_url: str | None = None  # https image shown on the house's hosted checkout pages
    brand_color: str | None = None  # "#rrggbb" for buttons and header of its hosted pages


@dataclass(frozen=True)
class Production:
    id: str
    house_id: str
    title: dict[str, str]
    genre: str
    description: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tariff:
    """A named price (full, reduced, -26 …) with one amount in cents per price category."""

    code: str
    name: dict[str, str]
    prices: dict[str, int]


@dataclass(frozen=True)
class Performance:
    id: str
    house_id: str
    production_id: str
    venue_id: str
    starts_at: datetime
    sales_start: datetime
    sales_end: datetime
    status: PerformanceStatus
    tariffs: tuple[Tariff, ...]
    seated: bool
    capacity: int
    title: dict[str, str]
    venue_name: str
    genre: str = ""
    currency: str = "EUR"
    standing_shards: int = 1
    waiting_room: WaitingRoom | None = None  # while set, holds need an admission from the line

    def check_on_sale(self, now: datetime) -> None:
        """Raise NotOnSale (with the reason) unless buyers may take places right now."""
        if self.status is PerformanceStatus.CANCELLED:
            raise NotOnSale("This performance is cancelled.", reason="cancelled")
        if self.status is PerformanceStatus.PAUSED:
            raise NotOnSale("Sales for this performance are paused.", reason="paused")
        if now < self.sales_start:
            raise NotOnSale(
                "Sales have not started yet.", reason="not_started", sales_start=self.sales_start.isoformat()
            )
        if now >= self.sales_end:
            raise NotOnSale("Sales have ended.", reason="ended")

    def is_on_sale(self, now: datetime) -> bool:
        try:
            self.check_on_sale(now)
        except NotOnSale:
            return False
        return True


def validate_schedule(starts_at: datetime, sales_start: datetime, sales_end: datetime) -> None:
    """Sales open before they close, and close no later than the performance starts."""
    errors = []
    for name, value in (("starts_at", starts_at), ("sales_start", sales_start), ("sales_end", sales_end)):
        if value.tzinfo is None:
            errors.append(FieldError(name, "naive_datetime", "Give a time zone (e.g. +01:00 or Z)."))
    if errors:
        raise ValidationFailed("Times must carry a time zone.", errors)
    if sales_start >= sales_end:
        errors.append(FieldError("sales_end", "sales_window_empty", "Sales must end after they start."))
    if sales_end > starts_at:
        errors.append(FieldError("sales_end", "sales_after_start", "Sales must end by the start of the performance."))
    if errors:
        raise ValidationFailed("The sales window is not valid.", errors)


def validate_tariffs(tariffs: list[Tariff], categories: set[str]) -> None:
    """Every tariff prices every category of the hall exactly once, in non-negative cents."""
    errors: list[FieldError] = []
    if not tariffs:
        errors.append(FieldError("tariffs", "required", "At least one tariff is needed."))
    seen: set[str] = set()
    for index, tariff in enumerate(tariffs):
        if tariff.code in seen:
            errors.append(FieldError(f"tariffs[{index}].code", "duplicate_tariff", "Tariff codes must be unique."))
        seen.add(tariff.code)
        missing = categories - set(tariff.prices)
        unknown = set(tariff.prices) - categories
        for category in sorted(missing):
            errors.append(
                FieldError(f"tariffs[{index}].prices.{category}", "missing_price", f"No price for category {category}.")
            )
        for category in sorted(unknown):
            errors.append(
                FieldError(
                    f"tariffs[{index}].prices.{category}", "unknown_category", f"The hall has no category {category}."
                )
            )
        for category, cents in tariff.prices.items():
            if cents < 0:
                errors.append(
                    FieldError(f"tariffs[{index}].prices.{category}", "out_of_range", "Prices cannot be negative.")
                )
    if errors:
        raise ValidationFailed("The tariffs do not fit the hall.", errors)


def utcnow() -> datetime:
    return datetime.now(UTC)
