"""Money as integer cents with a currency; never floats."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_CURRENCIES = frozenset({"EUR"})


@dataclass(frozen=True, order=True)
class Money:
    """An amount in the smallest unit (cents) of `currency`."""

    cents: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise TypeError("Money needs integer cents")
        if self.currency not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount `quantity` times."""
        return Money(self.cents * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError("cannot mix currencies")

    def to_dict(self) -> dict[str, object]:
        return {"amount": self.cents, "currency": self.currency}
