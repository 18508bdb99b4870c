"""Payments port, Stripe adapter: keys from Secrets Manager, webhooks verified.

Locally `PAYMENT_API_BASE` points the real stripe library at the embedded provider; on AWS it
is empty and the same code talks to Stripe. The stripe library is imported on first use: it
takes a sixth of a second, and most functions of the app never pay (cold starts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.utilities import parameters

from ..ports import InvalidSignature, PaymentIntent, PaymentProviderUnavailable
from ..settings import get_settings

if TYPE_CHECKING:
    import stripe

SECRET_MAX_AGE = 300
T = TypeVar("T")


@dataclass(frozen=True)
class PaymentKeys:
    api_key: str
    webhook_secret: str


def payment_keys() -> PaymentKeys:
    """This cluster's Stripe keys (cached by Powertools for five minutes)."""
    document = json.loads(parameters.get_secret(get_settings().payment_secret_arn, max_age=SECRET_MAX_AGE))
    return PaymentKeys(api_key=document["api_key"], webhook_secret=document["webhook_secret"])


def _stripe():
    import stripe  # heavy library, imported on first use (see the module's docstring)

    return stripe


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    options = {"base_addresses": {"api": api_base}} if api_base else {}
    # StripeClient does not retry unless told; its retries reuse one idempotency key, so they are safe.
    return _stripe().StripeClient(api_key, max_network_retries=2, **options)


def client() -> stripe.StripeClient:
    return _client(payment_keys().api_key, get_settings().payment_api_base)


def _intent(data: Any) -> PaymentIntent:
    data = data.to_dict() if hasattr(data, "to_dict") else data
    redirect = ((data.get("next_action") or {}).get("redirect_to_url") or {}).get("url")
    charge = data.get("latest_charge")
    return PaymentIntent(
        data["id"],
        data["status"],
        data.get("client_secret") or "",
        int(data["amount"]),
        data["currency"],
        charge if isinstance(charge, str) or charge is None else charge.get("id"),
        redirect,
    )


def _call(action: Callable[[], T]) -> T:
    """Run one provider call; transport and provider-side failures become PaymentProviderUnavailable."""
    stripe = _stripe()
    try:
        return action()
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise PaymentProviderUnavailable(str(error)) from error
    except stripe.APIError as error:  # 5xx after the library's own retries
        raise PaymentProviderUnavailable(str(error)) from error


class StripePayments:
    def verify_webhook(self, raw_body: bytes, signature_header: str) -> dict:
        """The event of a webhook whose signature checks out on the raw body; InvalidSignature otherwise."""
        stripe = _stripe()
        try:
            event = stripe.Webhook.construct_event(raw_body, signature_header, payment_keys().webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidSignature(str(error)) from error
        return event.to_dict()

    def create_payment_intent(
        self, order_id: str, amount_cents: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentIntent:
        """One PaymentIntent per order: the idempotency key (from the order id) makes a retry return the same one."""
        params: Any = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "transfer_group": order_id,
            "payment_method_types": ["card", "bancontact"],
            "description": description,
            "metadata": {"order_id": order_id},
        }
        return _intent(_call(lambda: client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})))

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        return _intent(_call(lambda: client().v1.payment_intents.retrieve(payment_intent_id)))

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> PaymentIntent:
        """Cancel an unpaid PaymentIntent; returns it as it is (a succeeded one stays succeeded: refund it)."""
        try:
            return _intent(
                _call(
                    lambda: client().v1.payment_intents.cancel(
                        payment_intent_id, {"cancellation_reason": "abandoned"}, {"idempotency_key": idempotency_key}
                    )
                )
            )
        except _stripe().InvalidRequestError as error:
            if getattr(error, "code", None) != "payment_intent_unexpected_state":
                raise
            return self.retrieve_payment_intent(payment_intent_id)  # canceled or succeeded already

    def refund_payment(
        self, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
    ) -> str:
        """Refund part or all of a payment; the idempotency key makes a retried refund the same refund."""
        refund = _call(
            lambda: client().v1.refunds.create(
                {"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata},
                {"idempotency_key": idempotency_key},
            )
        )
        return refund.id

    def create_connected_account(self, house_id: str, name: str, idempotency_key: str) -> str:
        """A Connect account for a house's payouts (Express: the house finishes onboarding at Stripe)."""
        account = _call(
            lambda: client().v1.accounts.create(
                {
                    "type": "express",
                    "country": "BE",
                    "business_profile": {"name": name},
                    "metadata": {"house_id": house_id},
                },
                {"idempotency_key": idempotency_key},
            )
        )
        return account.id

    def create_transfer(
        self,
        amount_cents: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        """Pay a house its settlement; the key makes a second run of the period return the same transfer."""
        transfer = _call(
            lambda: client().v1.transfers.create(
                {
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "destination": destination,
                    "transfer_group": transfer_group,
                    "metadata": metadata,
                },
                {"idempotency_key": idempotency_key},
            )
        )
        return transfer.id
