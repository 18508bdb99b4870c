"""Customer repository: personal data per house, always read and written under the house's key."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from ..domain.customers import BuyerDetails, ConsentChoice
from ..domain.errors import NotFound
from .models import CustomerItem, customer_key, house_key


@dataclass(frozen=True)
class CustomerRecord:
    house_id: str
    customer_id: str
    details: BuyerDetails
    consents: dict
    consent_log: tuple[dict, ...]


def record_customer(house_id: str, customer_id: str, details: BuyerDetails, choices: list[ConsentChoice],
                    now: datetime) -> None:
    """Create or update the house's record of this buyer; consent choices are appended, never replaced."""
    item = CustomerItem(house_key(house_id), customer_key(customer_id))
    latest = {choice.kind.value: choice.to_dict() for choice in choices}
    actions = [
        CustomerItem.name.set(details.name), CustomerItem.email.set(details.email),
        CustomerItem.updated_at.set(now),
        CustomerItem.created_at.set(CustomerItem.created_at | now),
        CustomerItem.consent_log.set((CustomerItem.consent_log | []).append([c.to_dict() for c in choices])),
        CustomerItem.consents.set(latest),
    ]
    actions.append(CustomerItem.phone.set(details.phone) if details.phone else CustomerItem.phone.remove())
    actions.append(CustomerItem.postcode.set(details.postcode) if details.postcode else CustomerItem.postcode.remove())
    item.update(actions=actions)  # one atomic update: the record and its log never disagree


def get_customer(house_id: str, customer_id: str) -> CustomerRecord:
    """The buyer as this house knows it; a buyer of another house is NotFound here."""
    try:
        item = CustomerItem.get(house_key(house_id), customer_key(customer_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such customer.", customer_id=customer_id) from None
    return CustomerRecord(house_id, customer_id,
                          BuyerDetails(item.name, item.email, item.phone, item.postcode),
                          dict(item.consents or {}), tuple(item.consent_log or ()))


def _record(item: CustomerItem) -> CustomerRecord:
    return CustomerRecord(item.pk[len("HOUSE#"):], item.sk[len("CUSTOMER#"):],
                          BuyerDetails(item.name, item.email, item.phone, item.postcode),
                          dict(item.consents or {}), tuple(item.consent_log or ()))


def customers_of_house(house_id: str) -> list[CustomerRecord]:
    """Every buyer the house knows (one Query on the house's key: never another house's)."""
    return [_record(item) for item in CustomerItem.query(house_key(house_id), CustomerItem.sk.startswith("CUSTOMER#"))]


def find_customer(house_id: str, customer_id: str) -> CustomerRecord | None:
    try:
        return get_customer(house_id, customer_id)
    except NotFound:
        return None
