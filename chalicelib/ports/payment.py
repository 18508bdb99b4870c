"""The payment provider as the services see it: PaymentIntents, refunds, payouts, signed webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class PaymentProviderUnavailable(Exception):
    """The provider could not be reached or failed on its side: the workflow retries the step (by this name)."""


class InvalidSignature(Exception):
    """The webhook's signature does not match its body (or is too old)."""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    client_secret: str
    amount: int
    currency: str
    latest_charge: str | None
    next_action_url: str | None = None


class Payments(Protocol):
    def create_payment_intent(
        self, order_id: str, amount_cents: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentIntent:
        """One PaymentIntent per order: the idempotency key makes a retry return the same one."""

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> PaymentIntent:
        """Cancel an unpaid PaymentIntent; returns it as it is (a succeeded one stays succeeded: refund it)."""

    def refund_payment(
        self, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
    ) -> str:
        """Refund part or all of a payment; returns the refund's id (a retried key: the same refund)."""

    def create_connected_account(self, house_id: str, name: str, idempotency_key: str) -> str:
        """A payout account for a house; returns its id."""

    def create_transfer(
        self,
        amount_cents: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        """Pay a house its settlement; returns the transfer's id."""

    def verify_webhook(self, raw_body: bytes, signature_header: str) -> dict:
        """The event of a webhook whose signature checks out on the raw body; InvalidSignature otherwise."""
