"""Gift-card repository: cards, what each order paid with one, and what went back on it.

Paying with a card is claimed in the transaction that freezes the cart at checkout: the balance is
decremented on condition that it is at least the amount, so racing orders never take a card below
zero. The use (`ORDER#o`/`GIFTCARD`) records the amount; giving it back (a checkout without a sale)
or putting a refund's part back on the card is conditional on the use's state, so each happens once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import AlreadyExists, Conflict, NotFound
from ..domain.giftcards import GiftCard
from ..domain.money import Money
from .carts import CartRecord
from .models import (
    CartItem,
    TableItem,
    _Gsi1,
    any_condition_failed,
    cart_key,
    is_condition_failure,
    order_key,
    transaction_connection,
)

CARD_SK = "GIFTCARD"


class GiftCardItem(TableItem):
    code = UnicodeAttribute()
    house_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    balance_cents = NumberAttribute()
    currency = UnicodeAttribute(default="EUR")
    issued_at = UTCDateTimeAttribute()
    issued_by = UnicodeAttribute(default="")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class GiftCardUseItem(TableItem):
    """An order paid `amount_cents` with a card; `restored_cents` of it went back on the card by refunds."""

    code = UnicodeAttribute()
    house_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    status = UnicodeAttribute()  # claimed | released (the checkout ended without a sale)
    restored_cents = NumberAttribute(default=0)
    claimed_at = UTCDateTimeAttribute()


class GiftCardRestoreItem(TableItem):
    """One refund's part that went back on the card (`ORDER#o`/`GIFTCARD#RESTORE#r`): put once."""

    cents = NumberAttribute()


def card_key(code: str) -> str:
    return f"GIFTCARD#{code}"


def _card(item: GiftCardItem) -> GiftCard:
    return GiftCard(
        item.code,
        item.house_id,
        Money(int(item.amount_cents), item.currency),
        Money(int(item.balance_cents), item.currency),
        item.issued_at,
        item.issued_by,
    )


def issue(card: GiftCard, ledger: Sequence[TableItem] = ()) -> None:
    """Store a new card with the ledger items of its sale, in one transaction: a card never exists without its
    sale booked (its code is new: AlreadyExists otherwise)."""
    item = GiftCardItem(
        card_key(card.code),
        CARD_SK,
        code=card.code,
        house_id=card.house_id,
        amount_cents=card.amount.cents,
        balance_cents=card.balance.cents,
        currency=card.amount.currency,
        issued_at=card.issued_at,
        issued_by=card.issued_by,
        gsi1pk=f"HOUSE#{card.house_id}#GIFTCARDS",
        gsi1sk=f"{card.issued_at.isoformat()}#{card.code}",
    )
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.save(item, condition=GiftCardItem.pk.does_not_exist())
            for entry in ledger:
                transaction.save(entry, condition=type(entry).pk.does_not_exist())
    except TransactWriteError as error:
        if any_condition_failed(error):
            raise AlreadyExists("That card exists already.") from error
        raise


def get_card(code: str) -> GiftCard:
    try:
        return _card(GiftCardItem.get(card_key(code), CARD_SK, consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such gift card.") from None


def claim_in(transaction: TransactWrite, code: str, house_id: str, order_id: str, cents: int, now: datetime) -> None:
    """Add paying `cents` of the order with the card to a transaction (balance >= cents, one use per order)."""
    transaction.update(
        GiftCardItem(card_key(code), CARD_SK),
        actions=[GiftCardItem.balance_cents.add(-cents)],
        condition=GiftCardItem.balance_cents >= cents,
    )
    transaction.save(
        GiftCardUseItem(
            order_key(order_id),
            CARD_SK,
            code=code,
            house_id=house_id,
            amount_cents=cents,
            status="claimed",
            claimed_at=now,
        ),
        condition=GiftCardUseItem.pk.does_not_exist(),
    )


def use_of(order_id: str) -> GiftCardUseItem | None:
    try:
        return GiftCardUseItem.get(order_key(order_id), CARD_SK, consistent_read=True)
    except DoesNotExist:
        return None


def release(order_id: str) -> bool:
    """A checkout without a sale: the whole amount goes back on the card, once. True if this call did it."""
    use = use_of(order_id)
    if use is None or use.status != "claimed" or use.restored_cents:
        return False
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                GiftCardUseItem(order_key(order_id), CARD_SK),
                actions=[GiftCardUseItem.status.set("released")],
                condition=(GiftCardUseItem.status == "claimed") & (GiftCardUseItem.restored_cents == 0),
            )
            transaction.update(
                GiftCardItem(card_key(use.code), CARD_SK),
                actions=[GiftCardItem.balance_cents.add(int(use.amount_cents))],
            )
    except TransactWriteError:
        return False
    return True


def restored_for(order_id: str, refund_id: str) -> int | None:
    """The cents a refund put back on the card, or None if it put nothing back (yet)."""
    try:
        return int(
            GiftCardRestoreItem.get(order_key(order_id), f"{CARD_SK}#RESTORE#{refund_id}", consistent_read=True).cents
        )
    except DoesNotExist:
        return None


def restore(order_id: str, refund_id: str, cents: int) -> bool:
    """Put a refund's part back on the card, once per refund id, never more than the card paid. True if done."""
    use = use_of(order_id)
    if use is None or cents <= 0:
        return False
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                GiftCardUseItem(order_key(order_id), CARD_SK),
                actions=[GiftCardUseItem.restored_cents.add(cents)],
                condition=(GiftCardUseItem.status == "claimed")
                & (GiftCardUseItem.restored_cents <= int(use.amount_cents) - cents),
            )
            transaction.save(
                GiftCardRestoreItem(order_key(order_id), f"{CARD_SK}#RESTORE#{refund_id}", cents=cents),
                condition=GiftCardRestoreItem.pk.does_not_exist(),
            )
            transaction.update(
                GiftCardItem(card_key(use.code), CARD_SK), actions=[GiftCardItem.balance_cents.add(cents)]
            )
    except TransactWriteError:
        return False
    return True


def list_cards(house_id: str) -> list[GiftCard]:
    """The cards a house issued, oldest first (one Query on the house's own index key)."""
    return [_card(item) for item in GiftCardItem.by_gsi1.query(f"HOUSE#{house_id}#GIFTCARDS")]


def set_cart_card(cart: CartRecord, code: str | None) -> None:
    """Put a card on the cart (or take it off) if nobody changed the cart and checkout has not begun."""
    action = CartItem.gift_card_code.set(code) if code else CartItem.gift_card_code.remove()
    try:
        CartItem(cart_key(cart.id), "CART").update(
            actions=[action, CartItem.version.add(1)],
            condition=(CartItem.version == cart.version) & CartItem.order_id.does_not_exist(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("The cart changed meanwhile; reload it and try again.") from error
        raise
