"""Recording an order's buyer: once for each house in the order, as the order gave them.

An address typed at a sale is not an identity: a house's existing record of that address is never
changed by it (name, consents, sharing). The order keeps its buyer and the consents it ticked as
pending; they reach the record when the address's owner follows the link in the order's e-mail
(`services.buyers.open_link`)."""

from __future__ import annotations

from datetime import datetime

from .. import i18n
from ..domain.customers import BuyerDetails, OrderBuyer, consent_choices, customer_id
from ..settings import get_settings
from ..store import catalog, customers
from .buyers import link_buyer
from .customer_keys import cluster_key


def record_buyer(
    house_ids: list[str],
    details: BuyerDetails,
    marketing: bool,
    sharing: bool,
    language: str,
    now: datetime,
    source: str = "checkout",
    order_id: str | None = None,
) -> dict[str, str]:
    """At each house: a record of the buyer if there is none (no consent given yet), and the order's buyer
    with its pending choices; all linked to the buyer id (with the order, for the buyer's export, erasure
    and the link's proof). Returns the customer id per house."""
    settings = get_settings()
    key = cluster_key()
    ids = {}
    for house_id in sorted(set(house_ids)):
        house = catalog.get_house(house_id)
        choices = consent_choices(
            marketing, sharing, language, house.name, settings.cluster_name, now, source, translate=i18n.gettext
        )
        ids[house_id] = customer_id(key, house_id, details.email)
        customers.create_customer_if_absent(house_id, ids[house_id], details, now)
        if order_id:
            customers.record_order_buyer(OrderBuyer(house_id, order_id, ids[house_id], details, tuple(choices), now))
    link_buyer(details.email, ids, order_id, now)
    return ids


def order_buyer_details(
    order_id: str, customer_ids: dict[str, str], first_house: str | None = None
) -> BuyerDetails | None:
    """The buyer as the order gave them (name and address typed at the sale), at `first_house` if it has
    them, else at the order's first house; an order from before buyers were kept per order: the record."""
    houses = sorted(customer_ids, key=lambda house_id: (house_id != first_house, house_id))
    for house_id in houses:
        found = customers.order_buyer(house_id, order_id)
        if found:
            return found.details
    for house_id in houses:
        record = customers.find_customer(house_id, customer_ids[house_id])
        if record:
            return record.details
    return None
