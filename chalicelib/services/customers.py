"""Recording an order's buyer: once for each house in the order, with the consents as given."""
from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.utilities import parameters

from ..domain.customers import BuyerDetails, consent_choices, customer_id
from ..settings import get_settings
from ..store import catalog, customers


def cluster_key() -> bytes:
    return parameters.get_secret(get_settings().customer_key_secret_arn, max_age=300).encode()


def record_buyer(house_ids: list[str], details: BuyerDetails, marketing: bool, sharing: bool, language: str,
                 now: datetime, source: str = "checkout", order_id: str | None = None) -> dict[str, str]:
    """Create or update the buyer at each house, linked to the buyer id (with the order, for the
    buyer's export and erasure); returns the customer id per house."""
    from .buyers import link_buyer

    settings = get_settings()
    key = cluster_key()
    ids = {}
    for house_id in sorted(set(house_ids)):
        house = catalog.get_house(house_id)
        choices = consent_choices(marketing, sharing, language, house.name, settings.cluster_name, now, source)
        ids[house_id] = customer_id(key, house_id, details.email)
        customers.record_customer(house_id, ids[house_id], details, choices, now)
    link_buyer(details.email, ids, order_id, now)
    return ids
