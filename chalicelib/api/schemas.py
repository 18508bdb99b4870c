"""Request bodies, validated strictly at the edge (unknown fields and wrong types refused)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
SeatId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,24}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
Cents = Annotated[int, Field(ge=0, le=100_000_00)]
Domain = Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")]


def _localized(value: dict[str, str]) -> dict[str, str]:
    unknown = set(value) - {"nl", "fr", "en"}
    if unknown:
        raise ValueError(f"only nl, fr and en are supported, not {sorted(unknown)}")
    if "nl" not in value:
        raise ValueError("a Dutch (nl) text is required")
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class HouseBody(Body):
    id: Identifier
    name: ShortText
    website_domains: list[Domain] = Field(default_factory=list, max_length=10)


class VenueBody(Body):
    id: Identifier
    seatmap: dict[str, Any]


class ProductionBody(Body):
    id: Identifier | None = None
    title: dict[str, ShortText]
    genre: Annotated[str, StringConstraints(max_length=40)] = ""
    description: dict[str, LongText] = Field(default_factory=dict)

    _check_title = field_validator("title")(_localized)


class TariffBody(Body):
    code: Code
    name: dict[str, ShortText]
    prices: dict[str, Cents] = Field(max_length=50)

    _check_name = field_validator("name")(_localized)


class PerformanceBody(Body):
    id: Identifier | None = None
    production_id: Identifier
    venue_id: Identifier
    starts_at: AwareDatetime
    sales_start: AwareDatetime
    sales_end: AwareDatetime | None = None
    status: Literal["on_sale", "paused", "cancelled"] = "paused"
    tariffs: list[TariffBody] = Field(min_length=1, max_length=20)
    standing_shards: Annotated[int, Field(ge=1, le=64)] = 1


class PerformancePatch(Body):
    status: Literal["on_sale", "paused", "cancelled"] | None = None
    sales_start: AwareDatetime | None = None
    sales_end: AwareDatetime | None = None
    version: int | None = None


class BestAvailableBody(Body):
    count: int
    wheelchair: int = 0
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None


class StandingBody(Body):
    count: int


class HoldBody(Body):
    """Exactly one of: `seats` (ids), `best_available` ({count, wheelchair, category}), `standing` ({count})."""

    seats: list[SeatId] | None = Field(default=None, max_length=1000)
    best_available: BestAvailableBody | None = None
    standing: StandingBody | None = None

    @model_validator(mode="after")
    def exactly_one_kind(self) -> "HoldBody":
        given = [name for name in ("seats", "best_available", "standing") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of seats, best_available or standing")
        return self


class CartHoldBody(Body):
    """Put a hold in the cart: one `tariff` for every place, and/or `tariffs` per seat id (or "standing")."""

    tariff: Code | None = None
    tariffs: dict[SeatId, Code] = Field(default_factory=dict, max_length=100)
