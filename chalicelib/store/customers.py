"""Customer repository: personal data per house, always read and written under the house's key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.customers import BuyerDetails, ConsentChoice, OrderBuyer
from ..domain.errors import Conflict, NotFound
from .models import (
    CustomerItem,
    CustomerTableItem,
    customer_key,
    house_key,
    is_condition_failure,
    transaction_connection,
)


class OrderBuyerItem(CustomerTableItem):
    """The buyer as one order gave them at one house, and the consents it ticked, pending until the address's
    owner, having followed a link e-mailed to it, confirms them (`applied_at`) or declines them (`declined_at`).
    Personal data: beside the records, keyed by house (`HOUSE#h` / `ORDER#o`)."""

    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    postcode = UnicodeAttribute(null=True)
    pending = JSONAttribute(default=list)  # the consent choices as ticked (unproven)
    given_at = UTCDateTimeAttribute()
    applied_at = UTCDateTimeAttribute(null=True)
    declined_at = UTCDateTimeAttribute(null=True)


def _order_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


@dataclass(frozen=True)
class CustomerRecord:
    house_id: str
    customer_id: str
    details: BuyerDetails
    consents: dict
    consent_log: tuple[dict, ...]


def create_customer_if_absent(house_id: str, customer_id: str, details: BuyerDetails, now: datetime) -> bool:
    """A new record of the buyer, with no consent given (False, and nothing written, if the house knows them)."""
    item = CustomerItem(
        house_key(house_id),
        customer_key(customer_id),
        name=details.name,
        email=details.email,
        phone=details.phone,
        postcode=details.postcode,
        consents={},
        consent_log=[],
        created_at=now,
        updated_at=now,
    )
    try:
        item.save(condition=CustomerItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def record_order_buyer(order_buyer: OrderBuyer) -> None:
    """Keep the buyer as the order gave them, with its pending choices (once: a retried checkout changes nothing)."""
    details = order_buyer.details
    item = OrderBuyerItem(
        house_key(order_buyer.house_id),
        _order_key(order_buyer.order_id),
        customer_id=order_buyer.customer_id,
        name=details.name,
        email=details.email,
        phone=details.phone,
        postcode=details.postcode,
        pending=[choice.to_dict() for choice in order_buyer.pending],
        given_at=order_buyer.given_at,
    )
    try:
        item.save(condition=OrderBuyerItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


def order_buyer(house_id: str, order_id: str) -> OrderBuyer | None:
    """The buyer of the order at this house, as the order gave them (None for an anonymous sale)."""
    try:
        item = OrderBuyerItem.get(house_key(house_id), _order_key(order_id), consistent_read=True)
    except DoesNotExist:
        return None
    return OrderBuyer(
        house_id,
        order_id,
        item.customer_id,
        BuyerDetails(item.name, item.email, item.phone, item.postcode),
        tuple(ConsentChoice.from_dict(choice) for choice in item.pending or ()),
        item.given_at,
        item.applied_at,
        item.declined_at,
    )


def apply_order_buyer(
    order_buyer: OrderBuyer, decide: Callable[[dict], list[ConsentChoice]], now: datetime
) -> list[ConsentChoice]:
    """The owner confirmed the order's choices: the order's name and details become the record's and the choices
    `decide` makes from its current consents are appended to its log, in one transaction with marking the
    order's choices applied (conditional on the record being unchanged since read, and on neither applied nor
    declined yet). Returns the choices recorded; none if the order's choices were applied or declined already,
    or the record is gone."""
    details = order_buyer.details
    for _ in range(5):
        try:
            current = CustomerItem.get(
                house_key(order_buyer.house_id), customer_key(order_buyer.customer_id), consistent_read=True
            )
        except DoesNotExist:
            return []
        choices = decide(dict(current.consents or {}))
        consents = {**(current.consents or {}), **{choice.kind.value: choice.to_dict() for choice in choices}}
        actions: list[Action] = [
            CustomerItem.name.set(details.name),
            CustomerItem.updated_at.set(now),
            CustomerItem.consents.set(consents),
            CustomerItem.consent_log.set(
                (CustomerItem.consent_log | []).append([choice.to_dict() for choice in choices])
            ),
        ]
        if details.phone:
            actions.append(CustomerItem.phone.set(details.phone))
        if details.postcode:
            actions.append(CustomerItem.postcode.set(details.postcode))
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.update(
                    CustomerItem(house_key(order_buyer.house_id), customer_key(order_buyer.customer_id)),
                    actions=actions,
                    condition=CustomerItem.pk.exists() & (CustomerItem.updated_at == current.updated_at),
                )
                transaction.update(
                    OrderBuyerItem(house_key(order_buyer.house_id), _order_key(order_buyer.order_id)),
                    actions=[OrderBuyerItem.applied_at.set(now)],
                    condition=OrderBuyerItem.pk.exists()
                    & OrderBuyerItem.applied_at.does_not_exist()
                    & OrderBuyerItem.declined_at.does_not_exist(),
                )
        except TransactWriteError as error:
            reasons = [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return []  # applied already (confirmed twice at once), declined meanwhile, or erased
            if "ConditionalCheckFailed" in reasons:
                continue  # the record changed meanwhile: read and decide again
            raise
        return choices
    raise Conflict("These choices changed meanwhile; follow the link again.")


def decline_order_buyers(house_ids: list[str], order_id: str, now: datetime) -> bool:
    """The owner declined the order's choices at these houses: all marked declined in one transaction, each on
    condition that it is neither applied nor declined yet (the records are not touched). False if any was."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            for house_id in house_ids:
                transaction.update(
                    OrderBuyerItem(house_key(house_id), _order_key(order_id)),
                    actions=[OrderBuyerItem.declined_at.set(now)],
                    condition=OrderBuyerItem.pk.exists()
                    & OrderBuyerItem.applied_at.does_not_exist()
                    & OrderBuyerItem.declined_at.does_not_exist(),
                )
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]:
            return False
        raise
    return True


def delete_order_buyer(house_id: str, order_id: str) -> bool:
    """Remove what the order kept of its buyer at the house (erasure); False if there was nothing."""
    try:
        OrderBuyerItem(house_key(house_id), _order_key(order_id)).delete(condition=OrderBuyerItem.pk.exists())
    except DeleteError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def get_customer(house_id: str, customer_id: str) -> CustomerRecord:
    """The buyer as this house knows it; a buyer of another house is NotFound here."""
    try:
        item = CustomerItem.get(house_key(house_id), customer_key(customer_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such customer.", customer_id=customer_id) from None
    return CustomerRecord(
        house_id,
        customer_id,
        BuyerDetails(item.name, item.email, item.phone, item.postcode),
        dict(item.consents or {}),
        tuple(item.consent_log or ()),
    )


def _record(item: CustomerItem) -> CustomerRecord:
    return CustomerRecord(
        item.pk[len("HOUSE#") :],
        item.sk[len("CUSTOMER#") :],
        BuyerDetails(item.name, item.email, item.phone, item.postcode),
        dict(item.consents or {}),
        tuple(item.consent_log or ()),
    )


def customers_of_house(house_id: str) -> list[CustomerRecord]:
    """Every buyer the house knows (one Query on the house's key: never another house's)."""
    return [_record(item) for item in CustomerItem.query(house_key(house_id), CustomerItem.sk.startswith("CUSTOMER#"))]


def find_customer(house_id: str, customer_id: str) -> CustomerRecord | None:
    try:
        return get_customer(house_id, customer_id)
    except NotFound:
        return None
