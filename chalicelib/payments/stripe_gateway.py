"""The payment provider port, Stripe adapter: keys from Secrets Manager, webhooks verified.

Locally `PAYMENT_API_BASE` points the real stripe library at the embedded provider; on AWS it
is empty and the same code talks to Stripe.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import stripe
from aws_lambda_powertools.utilities import parameters

from ..settings import get_settings

SECRET_MAX_AGE = 300


@dataclass(frozen=True)
class PaymentKeys:
    api_key: str
    webhook_secret: str


def payment_keys() -> PaymentKeys:
    """This cluster's Stripe keys (cached by Powertools for five minutes)."""
    document = json.loads(parameters.get_secret(get_settings().payment_secret_arn, max_age=SECRET_MAX_AGE))
    return PaymentKeys(api_key=document["api_key"], webhook_secret=document["webhook_secret"])


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    options = {"base_addresses": {"api": api_base}} if api_base else {}
    # StripeClient does not retry unless told; its retries reuse one idempotency key, so they are safe.
    return stripe.StripeClient(api_key, max_network_retries=2, **options)


def client() -> stripe.StripeClient:
    return _client(payment_keys().api_key, get_settings().payment_api_base)


class InvalidSignature(Exception):
    """The webhook's Stripe-Signature does not match its body (or is too old)."""


def verify_webhook(raw_body: bytes, signature_header: str) -> dict:
    """The event of a webhook whose signature checks out on the raw body; InvalidSignature otherwise."""
    try:
        event = stripe.Webhook.construct_event(raw_body, signature_header, payment_keys().webhook_secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidSignature(str(error)) from error
    return event.to_dict()


class PaymentProviderUnavailable(Exception):
    """The provider could not be reached or failed on its side: the workflow retries the step."""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    client_secret: str
    amount: int
    currency: str
    latest_charge: str | None
    next_action_url: str | None = None


def _intent(data) -> PaymentIntent:
    data = data.to_dict() if hasattr(data, "to_dict") else data
    redirect = ((data.get("next_action") or {}).get("redirect_to_url") or {}).get("url")
    charge = data.get("latest_charge")
    return PaymentIntent(data["id"], data["status"], data.get("client_secret") or "", int(data["amount"]),
                         data["currency"], charge if isinstance(charge, str) or charge is None else charge.get("id"),
                         redirect)


def _call(action):
    """Run one provider call; transport and provider-side failures become PaymentProviderUnavailable."""
    try:
        return action()
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise PaymentProviderUnavailable(str(error)) from error
    except stripe.APIError as error:  # 5xx after the library's own retries
        raise PaymentProviderUnavailable(str(error)) from error


def create_payment_intent(order_id: str, amount_cents: int, currency: str, idempotency_key: str,
                          description: str) -> PaymentIntent:
    """One PaymentIntent per order: the idempotency key (from the order id) makes a retry return the same one."""
    params = {"amount": amount_cents, "currency": currency.lower(), "transfer_group": order_id,
              "payment_method_types": ["card", "bancontact"], "description": description,
              "metadata": {"order_id": order_id}}
    return _intent(_call(lambda: client().v1.payment_intents.create(
        params, {"idempotency_key": idempotency_key})))


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntent:
    return _intent(_call(lambda: client().v1.payment_intents.retrieve(payment_intent_id)))


def cancel_payment_intent(payment_intent_id: str, idempotency_key: str) -> PaymentIntent:
    """Cancel an unpaid PaymentIntent; returns it as it is (a succeeded one stays succeeded: refund it)."""
    try:
        return _intent(_call(lambda: client().v1.payment_intents.cancel(
            payment_intent_id, {"cancellation_reason": "abandoned"}, {"idempotency_key": idempotency_key})))
    except stripe.InvalidRequestError as error:
        if getattr(error, "code", None) != "payment_intent_unexpected_state":
            raise
        return retrieve_payment_intent(payment_intent_id)  # canceled or succeeded already


def refund_payment(payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]) -> str:
    """Refund part or all of a payment; the idempotency key makes a retried refund the same refund."""
    refund = _call(lambda: client().v1.refunds.create(
        {"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata},
        {"idempotency_key": idempotency_key}))
    return refund.id


def create_connected_account(house_id: str, name: str, idempotency_key: str) -> str:
    """A Connect account for a house's payouts (Express: the house finishes onboarding at Stripe)."""
    account = _call(lambda: client().v1.accounts.create(
        {"type": "express", "country": "BE", "business_profile": {"name": name}, "metadata": {"house_id": house_id}},
        {"idempotency_key": idempotency_key}))
    return account.id


def create_transfer(amount_cents: int, currency: str, destination: str, transfer_group: str, idempotency_key: str,
                    metadata: dict[str, str]) -> str:
    """Pay a house its settlement; the key makes a second run of the period return the same transfer."""
    transfer = _call(lambda: client().v1.transfers.create(
        {"amount": amount_cents, "currency": currency.lower(), "destination": destination,
         "transfer_group": transfer_group, "metadata": metadata}, {"idempotency_key": idempotency_key}))
    return transfer.id
