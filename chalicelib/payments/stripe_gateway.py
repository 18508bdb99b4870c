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
