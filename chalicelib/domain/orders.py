"""Orders: what a buyer pays for once, across houses, and the tickets it becomes.

An order is made from a frozen cart. Its life: pending → awaiting_payment → paid → completed;
or failed (nothing charged: declined and abandoned, cancelled, timed out) or refunded (charged,
then given back in full because a place was lost). Ticket refunds later change tickets, not
the order's history.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal, get_args

from .cart import CartLine
from .donations import Donation
from .giftcards import PaidByGiftCard
from .money import Money
from .uitpas import SocialTariffUse

# After the first hold expires the buyer may still be paying: accept the payment for this long.
# A paid hold that lapsed is re-claimed if its places are still free, else the buyer is refunded.
DEFAULT_PAYMENT_GRACE_SECONDS = 120
MIN_PAYMENT_WINDOW_SECONDS = 1  # Step Functions needs a timeout of at least one second


CHANNELS = ("web", "box_office")
DESK_PAYMENT_METHODS = ("cash", "card_terminal", "invoice")


class OrderStatus(str, Enum):
    PENDING = "pending"
    RESERVED = "reserved"  # at the box office: places kept until `expires_at`, paid later at the desk
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.REFUNDED)


class TicketStatus(str, Enum):
    VALID = "valid"
    REFUNDING = "refunding"
    VOID = "void"


class SeatsLost(Exception):
    """A paid place was taken by someone else after its hold lapsed (the order is refunded)."""


class PaymentCanceled(Exception):
    """The payment was cancelled (by the buyer or the provider): the checkout ends."""


class PaymentNotSettled(Exception):
    """The payment's outcome is not known yet; ask again later."""


@dataclass(frozen=True)
class OrderLine:
    """One place of an order with its price, as the cart priced it when checkout began."""

    index: int
    hold_id: str
    performance_id: str
    house_id: str
    seat_id: str | None
    category: str
    tariff_code: str
    price: Money
    bundle_id: str | None = None  # a bundle's place: priced at its share of the bundle price
    bundle_group: str | None = None
    uitpas: SocialTariffUse | None = None  # the place's UiTPAS social tariff (the pass number is personal data)
    discount_cents: int = 0  # a discount code's part, already taken off `price`

    def to_dict(self) -> dict[str, Any]:
        data = {
            "index": self.index,
            "hold_id": self.hold_id,
            "performance_id": self.performance_id,
            "house_id": self.house_id,
            "seat_id": self.seat_id,
            "category": self.category,
            "tariff_code": self.tariff_code,
            "price": self.price.cents,
            "currency": self.price.currency,
        }
        if self.bundle_id:
            data.update(bundle_id=self.bundle_id, bundle_group=self.bundle_group)
        if self.uitpas:
            data["uitpas"] = self.uitpas.to_dict()
        if self.discount_cents:
            data["discount"] = self.discount_cents
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderLine:
        return cls(
            int(data["index"]),
            data["hold_id"],
            data["performance_id"],
            data["house_id"],
            data.get("seat_id"),
            data["category"],
            data["tariff_code"],
            Money(int(data["price"]), data["currency"]),
            data.get("bundle_id"),
            data.get("bundle_group"),
            uitpas=SocialTariffUse.from_dict(data["uitpas"]) if data.get("uitpas") else None,
            discount_cents=int(data.get("discount", 0)),
        )


def order_lines(cart_lines: Sequence[CartLine]) -> tuple[OrderLine, ...]:
    """Freeze the cart's priced places into numbered order lines."""
    return tuple(
        OrderLine(
            index,
            line.hold_id,
            line.performance_id,
            line.house_id,
            line.seat_id,
            line.category,
            line.tariff_code,
            line.price,
            line.bundle_id,
            line.bundle_group,
            uitpas=line.uitpas,
            discount_cents=line.discount_cents,
        )
        for index, line in enumerate(cart_lines)
    )


def order_total(lines: Sequence[OrderLine]) -> Money:
    return sum((line.price for line in lines), Money(0))


def house_subtotals(lines: Sequence[OrderLine]) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for line in lines:
        totals[line.house_id] = totals.get(line.house_id, Money(0, line.price.currency)) + line.price
    return totals


def order_id_for(cart_id: str) -> str:
    """One order per cart: two submits of the same cart meet on the same order (and payment)."""
    return "o_" + hashlib.sha256(f"order:{cart_id}".encode()).hexdigest()[:20]


def ticket_id_for(order_id: str, line_index: int) -> str:
    """Stable per order line, so issuing tickets again (a retried task) makes the same tickets."""
    return "t_" + hashlib.sha256(f"ticket:{order_id}:{line_index}".encode()).hexdigest()[:20]


def payment_idempotency_key(order_id: str) -> str:
    return f"order:{order_id}:payment"


def refund_idempotency_key(order_id: str, refund_id: str) -> str:
    return f"order:{order_id}:refund:{refund_id}"


# Why tickets were refunded: a fixed list, so what leaves the house (events, the exchange platform) is a code
# and never a sentence someone typed (which could name the buyer). Free text stays in the refund's `note`.
RefundReason = Literal[
    "customer_request",  # the buyer asked (within the house's terms)
    "performance_cancelled",  # the performance will not take place
    "performance_changed",  # a new date, venue or programme the buyer did not accept
    "duplicate",  # bought twice by mistake
    "fraud",  # a disputed or fraudulent payment
    "goodwill",  # a gesture of the house (a complaint, an accessibility problem …)
    "other",
]
REFUND_REASONS: tuple[str, ...] = get_args(RefundReason)


def refund_reason_code(stored: str | None) -> str:
    """The reason code of a stored refund; anything outside the list (older free text) is `other`."""
    return stored if stored in REFUND_REASONS else "other"


def payment_window_seconds(now: datetime, first_hold_expiry: datetime, grace_seconds: int) -> int:
    """How long checkout waits for the payment: until the holds lapse, plus a grace period."""
    remaining = (first_hold_expiry - now).total_seconds()
    return max(MIN_PAYMENT_WINDOW_SECONDS, math.ceil(remaining) + grace_seconds)


@dataclass(frozen=True)
class Order(PaidByGiftCard):
    id: str
    cart_id: str
    session_hash: str
    status: OrderStatus
    lines: tuple[OrderLine, ...] = ()
    language: str = "nl"
    seller_house_id: str | None = None
    channel: str = "web"  # web | box_office
    payment_method: str | None = None  # box office: cash | card_terminal | invoice (online: the provider's)
    customer_ids: dict[str, str] = field(default_factory=dict)
    payment_intent_id: str | None = None
    client_secret: str | None = None
    payment_status: str | None = None
    last_payment_error: str | None = None
    failure_reason: str | None = None
    lost_places: tuple[str, ...] = ()
    created_at: datetime | None = None
    expires_at: datetime | None = None
    completed_at: datetime | None = None
    donations: tuple[Donation, ...] = ()  # given to houses with the order: no tickets, in the total
    gift_card: tuple[str, str, int] | None = None  # (code, issuing house, cents it pays of the total)

    @property
    def total(self) -> Money:
        return order_total(self.lines) + sum((donation.amount for donation in self.donations), Money(0))

    @property
    def houses(self) -> tuple[str, ...]:
        return tuple(sorted({line.house_id for line in self.lines}))

    @property
    def hold_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(line.hold_id for line in self.lines))

    @property
    def collected_by(self) -> str | None:
        """The box office that took the money itself (None: it is at the payment provider)."""
        return self.seller_house_id if self.channel == "box_office" else None

    def lines_of(self, house_id: str) -> tuple[OrderLine, ...]:
        return tuple(line for line in self.lines if line.house_id == house_id)


def expires_after(created_at: datetime, seconds: int) -> datetime:
    return created_at + timedelta(seconds=seconds)
