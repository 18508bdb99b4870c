"""Domain exceptions. Each carries a stable machine `code`; the API maps codes to HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a path like `seats[3].section`, a stable code and a readable message."""

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class DomainError(Exception):
    """Base of every refusal the domain can give; `code` is stable for clients."""

    code = "domain_error"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class ValidationFailed(DomainError):
    """Input is well-formed JSON but breaks a rule; lists each offending field."""

    code = "validation_failed"

    def __init__(self, detail: str, errors: list[FieldError] | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.errors = list(errors or [])


class SeatMapInvalid(ValidationFailed):
    """A seat map breaks the format's rules (duplicate ids, unknown section, overlaps …)."""

    code = "seatmap_invalid"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class NotEnoughSeats(DomainError):
    """Best-available found fewer free seats than asked for."""

    code = "not_enough_seats"


class SeatsUnavailable(DomainError):
    """Some of the asked-for seats or places were taken by someone else meanwhile."""

    code = "seats_unavailable"

    def __init__(self, detail: str, taken: list[str] | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.taken = list(taken or [])


class SoldOut(DomainError):
    code = "sold_out"


class NotOnSale(DomainError):
    code = "not_on_sale"


class HoldExpired(DomainError):
    code = "hold_expired"


class HoldNotActive(DomainError):
    code = "hold_not_active"


class HoldTooLarge(DomainError):
    code = "hold_too_large"


class Conflict(DomainError):
    code = "conflict"


class AlreadyExists(Conflict):
    """A create named an id some item (of any house) has already: refused whole, nothing written."""

    code = "already_exists"


class CheckoutStarted(DomainError):
    """The cart is being paid: it cannot change any more."""

    code = "checkout_started"


class EmptyCart(DomainError):
    code = "cart_empty"


class NotRefundable(DomainError):
    """A ticket that is void already, or an order not paid, cannot be refunded."""

    code = "not_refundable"


class RateLimited(DomainError):
    """Too many calls from one client address or buyer session in the current window."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int, **context: Any) -> None:
        super().__init__(detail, **context)
        self.retry_after = max(1, int(retry_after))
