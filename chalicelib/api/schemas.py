"""Request bodies, validated strictly at the edge (unknown fields and wrong types refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..domain.orders import RefundReason

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
SeatId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,24}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
Cents = Annotated[int, Field(ge=0, le=100_000_00)]
Language = Annotated[str, StringConstraints(max_length=2)]  # which ones: `_localized`
Domain = Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")]
# A refund's internal note: kept on the house's refund record only (never in events, the exchange feed or logs).
RefundNote = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


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
    # Branding of the house's hosted checkout pages: an https image and a "#rrggbb" colour.
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://[^\s\"'<>]+$", max_length=500)] | None = None
    brand_color: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None


class VenueBody(Body):
    id: Identifier | None = None  # omitted: the server makes a random one
    # The seat map's own limits (sections, rows, seats, text lengths) are checked by `parse_seatmap`;
    # its size by the body's cap (MAX_BODY_BYTES).
    seatmap: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(max_length=20)


class ProductionBody(Body):
    id: Identifier | None = None
    title: dict[Language, ShortText] = Field(max_length=3)
    genre: Annotated[str, StringConstraints(max_length=40)] = ""
    description: dict[Language, LongText] = Field(default_factory=dict, max_length=3)

    _check_title = field_validator("title")(_localized)


class TariffBody(Body):
    code: Code
    name: dict[Language, ShortText] = Field(max_length=3)
    prices: dict[Annotated[str, StringConstraints(max_length=40)], Cents] = Field(max_length=50)

    _check_name = field_validator("name")(_localized)


class WaitingRoomBody(Body):
    """An on-sale waiting room: buyers are admitted at `rate_per_minute` from `opens_at` (default: now)."""

    rate_per_minute: Annotated[int, Field(ge=1, le=60_000)]
    opens_at: AwareDatetime | None = None
    admission_seconds: Annotated[int, Field(ge=60, le=3600)] = 600
    shards: Annotated[int, Field(ge=1, le=64)] = 8


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
    waiting_room: WaitingRoomBody | None = None


class PerformancePatch(Body):
    status: Literal["on_sale", "paused", "cancelled"] | None = None
    sales_start: AwareDatetime | None = None
    sales_end: AwareDatetime | None = None
    waiting_room: WaitingRoomBody | None = None  # `null` switches it off; leaving it out changes nothing
    version: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None


# Counts beyond what a hold may take are refused by the domain (`hold_too_large`), with its reason.
PlaceCount = Annotated[int, Field(ge=0, le=1000)]


class BestAvailableBody(Body):
    count: PlaceCount
    wheelchair: PlaceCount = 0
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None


class StandingBody(Body):
    count: PlaceCount


class JoinQueueBody(Body):
    """Nothing to say when joining the line; the session is the X-Podium-Session header."""


class AdmissionBody(Body):
    """Exchange a place in line (the queue ticket from joining) for an admission once it is one's turn."""

    queue_ticket: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class HoldBody(Body):
    """Exactly one of: `seats` (ids), `best_available` ({count, wheelchair, category}), `standing` ({count})."""

    seats: list[SeatId] | None = Field(default=None, max_length=1000)
    best_available: BestAvailableBody | None = None
    standing: StandingBody | None = None

    @model_validator(mode="after")
    def exactly_one_kind(self) -> HoldBody:
        given = [name for name in ("seats", "best_available", "standing") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of seats, best_available or standing")
        return self


class CartHoldBody(Body):
    """Put a hold in the cart: one `tariff` for every place, and/or `tariffs` per seat id (or "standing")."""

    tariff: Code | None = None
    tariffs: dict[SeatId, Code] = Field(default_factory=dict, max_length=100)


class BuyerBody(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    postcode: Annotated[str, StringConstraints(max_length=12)] | None = None


class ConsentsBody(Body):
    """Both off unless the buyer ticks them (GDPR: consent is never pre-ticked)."""

    marketing: bool = False
    sharing: bool = False


class CheckoutBody(Body):
    buyer: BuyerBody
    consents: ConsentsBody = Field(default_factory=ConsentsBody)
    language: Literal["nl", "fr", "en"] | None = None
    seller_house_id: Identifier | None = None  # the house whose site or desk sold it (hosted checkout link)


class RefundBody(Body):
    """Which tickets to refund (empty: every valid ticket of the caller's house in the order)."""

    ticket_ids: list[Annotated[str, StringConstraints(pattern=r"^t_[0-9a-f]{20}$")]] = Field(
        default_factory=list, max_length=90
    )
    reason_code: RefundReason = "other"
    note: RefundNote | None = None


class CommissionBody(Body):
    kind: Literal["percent", "fixed"]
    value: Annotated[int, Field(ge=0, le=100_000)]


class AgreementBody(Body):
    """The cluster's agreement; `version` is the one read (optimistic concurrency), 0 for the first."""

    version: Annotated[int, Field(ge=0, le=1_000_000_000)]
    commission: CommissionBody = Field(default_factory=lambda: CommissionBody(kind="percent", value=0))
    pair_commissions: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}>[a-z0-9-]{1,40}$")], CommissionBody
    ] = Field(default_factory=dict, max_length=500)
    fee_bearer: Literal["owner", "seller"] = "owner"
    fee_percent_bp: Annotated[int, Field(ge=0, le=5000)] = 150
    fee_fixed_cents: Annotated[int, Field(ge=0, le=1000)] = 25
    vat_rate_bp: Annotated[int, Field(ge=0, le=5000)] = 600
    tariff_vat_bp: dict[Code, Annotated[int, Field(ge=0, le=5000)]] = Field(default_factory=dict, max_length=50)
    bundle_split: Literal["list_price", "fixed"] = "list_price"
    desk_resale: bool = True


class SettlementBody(Body):
    """A week (`2026-W47`) or month (`2026-11`) period, or a custom range."""

    period: Annotated[str, StringConstraints(max_length=10)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def one_kind(self) -> SettlementBody:
        if (self.period is None) == (self.starts_at is None or self.ends_at is None):
            raise ValueError("give either period, or starts_at and ends_at")
        return self


class ScanBody(Body):
    """One scan at the door; `scan_id` and `scanned_at` come from a scanner syncing after a network loss."""

    performance_id: Identifier
    payload: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    gate: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    scan_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = None
    scanned_at: AwareDatetime | None = None


class ScanBatchBody(Body):
    scans: list[ScanBody] = Field(min_length=1, max_length=500)


class DeskSaleBody(Body):
    """A sale at the box office from the desk's cart: paid there and then (cash, card terminal or invoice)."""

    cart_id: Annotated[str, StringConstraints(pattern=r"^c_[A-Za-z0-9_-]{8,40}$")]
    payment_method: Literal["cash", "card_terminal", "invoice"]
    buyer: BuyerBody | None = None
    consents: ConsentsBody = Field(default_factory=ConsentsBody)
    language: Literal["nl", "fr", "en"] = "nl"


class DeskReservationBody(Body):
    """Places kept for a named buyer who pays later at the desk, until `expires_at`."""

    cart_id: Annotated[str, StringConstraints(pattern=r"^c_[A-Za-z0-9_-]{8,40}$")]
    buyer: BuyerBody
    consents: ConsentsBody = Field(default_factory=ConsentsBody)
    language: Literal["nl", "fr", "en"] = "nl"
    expires_at: AwareDatetime


class DeskPaymentBody(Body):
    payment_method: Literal["cash", "card_terminal", "invoice"]


class ConsentChangeBody(Body):
    """The buyer's consents as they want them now: marketing per house (only the houses named change),
    sharing with the cluster's other houses; `language` is the one the wording was shown in."""

    marketing: dict[Identifier, bool] = Field(default_factory=dict, max_length=100)
    sharing: bool
    language: Literal["nl", "fr", "en"] = "nl"


class ApiKeyBody(Body):
    """An integration's key: a name for people and the scopes it may use (see `auth.SCOPES`)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    scopes: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{1,20}:[a-z]{1,20}$")]] = Field(
        min_length=1, max_length=10
    )


class BundlePerformanceBody(Body):
    performance_id: Identifier
    places: Annotated[int, Field(ge=1, le=10)] = 1
    fixed_cents: Cents | None = None  # this performance's share under the agreement's `fixed` bundle split


class BundleBody(Body):
    """A bundle (festival pass): at least two performances, possibly of several houses, sold at one price."""

    id: Identifier | None = None  # omitted: the server makes a random one
    name: dict[Language, ShortText] = Field(max_length=3)
    performances: list[BundlePerformanceBody] = Field(min_length=2, max_length=20)
    price: Cents
    currency: Literal["EUR"] = "EUR"
    sales_start: AwareDatetime
    sales_end: AwareDatetime
    status: Literal["on_sale", "paused", "cancelled"] = "paused"

    _check_name = field_validator("name")(_localized)


class BundlePatch(Body):
    status: Literal["on_sale", "paused", "cancelled"]


class BundlePlacesBody(Body):
    """The places of one performance of a bundle: specific `seats`, or best available (optionally a `category`
    and `wheelchair` places); standing performances need nothing."""

    seats: list[SeatId] | None = Field(default=None, max_length=100)
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    wheelchair: Annotated[int, Field(ge=0, le=10)] = 0

    @model_validator(mode="after")
    def seats_or_best(self) -> BundlePlacesBody:
        if self.seats is not None and (self.category is not None or self.wheelchair):
            raise ValueError("give seats, or a category and wheelchair places for the best available, not both")
        return self


class BundleHoldBody(Body):
    """Hold `quantity` bundles; per performance id how to choose its places (default: best available)."""

    quantity: Annotated[int, Field(ge=1, le=10)] = 1
    performances: dict[Identifier, BundlePlacesBody] = Field(default_factory=dict, max_length=20)


class BundleRefundBody(Body):
    """Refund an order's bundles whole (every house's tickets of them): all of its bundles, or one bundle's."""

    bundle_id: Identifier | None = None
    reason_code: RefundReason = "other"
    note: RefundNote | None = None


class DiscountBody(Body):
    """`percent`: basis points off the list prices (2000 = 20 %); `fixed_per_performance`: cents per chosen place."""

    kind: Literal["percent", "fixed_per_performance"]
    value: Cents


class SubscriptionFormulaBody(Body):
    """A subscription formula: choose `min_choices` to `max_choices` of its performances at a discount; a
    subscribers' pre-sale may precede the performances' general sale."""

    id: Identifier | None = None  # omitted: the server makes a random one
    name: dict[Language, ShortText] = Field(max_length=3)
    performances: list[Identifier] = Field(min_length=1, max_length=60)
    min_choices: Annotated[int, Field(ge=1, le=50)]
    max_choices: Annotated[int, Field(ge=1, le=50)]
    discount: DiscountBody
    currency: Literal["EUR"] = "EUR"
    sales_start: AwareDatetime
    sales_end: AwareDatetime
    presale_start: AwareDatetime | None = None
    presale_end: AwareDatetime | None = None
    season: Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
    renews: Identifier | None = None
    renewal_start: AwareDatetime | None = None
    renewal_end: AwareDatetime | None = None
    corresponding: dict[Identifier, Identifier] = Field(default_factory=dict, max_length=60)
    status: Literal["on_sale", "paused", "cancelled"] = "paused"

    _check_name = field_validator("name")(_localized)


class SubscriptionHoldBody(Body):
    """The chosen performances, each with how to choose its place (default: best available)."""

    performances: dict[Identifier, BundlePlacesBody] = Field(min_length=1, max_length=50)


class SubscriptionChangeBody(Body):
    """Swap one chosen performance for another of the formula; the new place as for a hold."""

    from_performance_id: Identifier
    to_performance_id: Identifier
    place: BundlePlacesBody = Field(default_factory=BundlePlacesBody)


class UitpasPassBody(Body):
    """The buyer's UiTPAS number for one place (13 digits; spaces and dots are ignored)."""

    uitpas_number: Annotated[str, StringConstraints(min_length=1, max_length=20)]


class TimeslotSeriesBody(Body):
    """Timed entry: `slots` consecutive slots of `slot_minutes` from `first_start`, `capacity` visitors each."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,29}$")] | None = None  # omitted: random
    production_id: Identifier
    venue_id: Identifier
    first_start: AwareDatetime
    slot_minutes: Annotated[int, Field(ge=5, le=480)]
    slots: Annotated[int, Field(ge=1, le=48)]
    capacity: Annotated[int, Field(ge=1, le=100_000)]
    sales_start: AwareDatetime
    status: Literal["on_sale", "paused", "cancelled"] = "paused"
    tariffs: list[TariffBody] = Field(min_length=1, max_length=20)


class VoucherBody(Body):
    """A discount code: an amount (cents) or a percentage off, for a number of uses within a window."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$")]
    kind: Literal["amount", "percent"]
    value: Annotated[int, Field(ge=1, le=100_000_00)]
    max_uses: Annotated[int, Field(ge=1, le=1_000_000)]
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    min_cart_cents: Cents = 0
    house_id: Identifier | None = None  # the coordinator's choice; a house admin's code is its own house's


class CartVoucherBody(Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class DonationBody(Body):
    """A donation in cents to a house of the cluster; 0 takes it out of the cart."""

    amount: Annotated[int, Field(ge=0, le=100_000)]


class GiftCardBody(Body):
    """A gift card sold at the desk, for this many cents."""

    amount: Annotated[int, Field(ge=500, le=50_000)]


class GiftCardCodeBody(Body):
    """A typed gift-card code (in a body, never in a URL: it pays)."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class AllocationBody(Body):
    """Seats (or, standing, a number of `places`) of the owner's performance set aside for another house
    (`house_id`) or a `channel` until `returns_at`."""

    house_id: Identifier | None = None
    channel: Literal["web", "box_office", "partner"] | None = None
    seats: list[SeatId] = Field(default_factory=list, max_length=99)
    places: Annotated[int, Field(ge=1, le=100_000)] | None = None
    returns_at: AwareDatetime


class AllocationPatch(Body):
    """Add seats, give seats back, or move the return deadline of a live allocation."""

    add: list[SeatId] = Field(default_factory=list, max_length=99)
    remove: list[SeatId] = Field(default_factory=list, max_length=99)
    returns_at: AwareDatetime | None = None
