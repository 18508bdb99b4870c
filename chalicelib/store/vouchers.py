"""Discount-code repository: codes, their uses, and what a cart carries besides its holds.

A use is claimed in the transaction that freezes the cart at checkout (`claim_in`): the code's
`remaining` is decremented on condition that it is at least 1 and the code active and valid, and a
claim record `ORDER#o`/`VOUCHER` is put on condition that it does not exist. Two buyers racing for
the last use: exactly one transaction commits. Giving the use back (`release_claim`) flips the claim
to `released` on condition that it was `claimed` and increments `remaining` in one transaction, so a
use is given back once, however often the compensation runs.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.errors import AlreadyExists, Conflict, NotFound
from ..domain.vouchers import Voucher, VoucherKind, VoucherStatus
from .carts import CartRecord
from .models import CartItem, TableItem, _Gsi1, cart_key, is_condition_failure, order_key, transaction_connection

VOUCHER_SK = "VOUCHER"
CLUSTER_LIST = "VOUCHERS#CLUSTER"


class VoucherItem(TableItem):
    """A discount code: its terms and how many uses are left."""

    code = UnicodeAttribute()
    house_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    value = NumberAttribute()
    max_uses = NumberAttribute()
    remaining = NumberAttribute()
    valid_from = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    min_cart_cents = NumberAttribute(default=0)
    currency = UnicodeAttribute(default="EUR")
    status = UnicodeAttribute()
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


class VoucherClaimItem(TableItem):
    """The use of a code by one order: `claimed`, or `released` when the checkout ended without a sale."""

    code = UnicodeAttribute()
    status = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()


def voucher_key(code: str) -> str:
    return f"VOUCHER#{code}"


def list_key(house_id: str | None) -> str:
    return f"VOUCHERS#{house_id}" if house_id else CLUSTER_LIST


def _voucher(item: VoucherItem) -> Voucher:
    return Voucher(
        item.code,
        item.house_id,
        VoucherKind(item.kind),
        int(item.value),
        int(item.max_uses),
        item.valid_from,
        item.valid_until,
        int(item.min_cart_cents or 0),
        VoucherStatus(item.status),
        int(item.remaining),
        item.currency,
        item.created_by,
        item.created_at,
    )


def create_voucher(voucher: Voucher) -> None:
    """Store a new code (AlreadyExists if the code exists, in any house: codes are the cluster's namespace)."""
    item = VoucherItem(
        voucher_key(voucher.code),
        VOUCHER_SK,
        code=voucher.code,
        house_id=voucher.house_id,
        kind=voucher.kind.value,
        value=voucher.value,
        max_uses=voucher.max_uses,
        remaining=voucher.max_uses,
        valid_from=voucher.valid_from,
        valid_until=voucher.valid_until,
        min_cart_cents=voucher.min_cart_cents,
        currency=voucher.currency,
        status=voucher.status.value,
        created_by=voucher.created_by,
        created_at=voucher.created_at,
        gsi1pk=list_key(voucher.house_id),
        gsi1sk=voucher.code,
    )
    try:
        item.save(condition=VoucherItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            raise AlreadyExists(f"Code {voucher.code} exists already.", voucher=voucher.code) from error
        raise


def get_voucher(code: str) -> Voucher:
    """The code, or NotFound."""
    try:
        return _voucher(VoucherItem.get(voucher_key(code), VOUCHER_SK, consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such code.", voucher=code) from None


def list_vouchers(house_id: str | None) -> list[Voucher]:
    """A house's codes (or the cluster-wide ones), by code: one Query on the house's own index key."""
    return [_voucher(item) for item in VoucherItem.by_gsi1.query(list_key(house_id))]


def deactivate(code: str, house_id: str | None) -> Voucher:
    """Stop new uses of a code of `house_id` (None: a cluster-wide code); another's code does not exist here."""
    condition = VoucherItem.pk.exists() & (VoucherItem.gsi1pk == list_key(house_id))
    try:
        VoucherItem(voucher_key(code), VOUCHER_SK).update(
            actions=[VoucherItem.status.set(VoucherStatus.INACTIVE.value)], condition=condition
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("No such code.", voucher=code) from error
        raise
    return get_voucher(code)


def claim_in(transaction: TransactWrite, code: str, order_id: str, now: datetime) -> None:
    """Add the claim of one use of `code` by `order_id` to a transaction (see the module's docstring)."""
    transaction.update(
        VoucherItem(voucher_key(code), VOUCHER_SK),
        actions=[VoucherItem.remaining.add(-1)],
        condition=(VoucherItem.remaining >= 1)
        & (VoucherItem.status == VoucherStatus.ACTIVE.value)
        & (VoucherItem.valid_from <= now)
        & (VoucherItem.valid_until > now),
    )
    transaction.save(
        VoucherClaimItem(order_key(order_id), VOUCHER_SK, code=code, status="claimed", claimed_at=now),
        condition=VoucherClaimItem.pk.does_not_exist(),
    )


def claim_of(order_id: str) -> tuple[str, str] | None:
    """(code, status) of the order's claim, or None."""
    try:
        item = VoucherClaimItem.get(order_key(order_id), VOUCHER_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return item.code, item.status


def explain_refusal(code: str, now: datetime) -> None:
    """Raise why a claim of `code` failed, if the code is the reason (used up, expired, deactivated)."""
    get_voucher(code).check_claimable(now)


def release_claim(order_id: str) -> bool:
    """Give the order's use back, once; True if this call gave it back."""
    claim = claim_of(order_id)
    if claim is None or claim[1] != "claimed":
        return False
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                VoucherClaimItem(order_key(order_id), VOUCHER_SK),
                actions=[VoucherClaimItem.status.set("released")],
                condition=VoucherClaimItem.status == "claimed",
            )
            transaction.update(
                VoucherItem(voucher_key(claim[0]), VOUCHER_SK),
                actions=[VoucherItem.remaining.add(1)],
                condition=VoucherItem.pk.exists(),
            )
    except TransactWriteError:
        return False  # given back meanwhile by another run of the compensation
    return True


def set_cart_offers(cart: CartRecord, voucher_code: str | None, donations: list[dict]) -> None:
    """Set the cart's discount code and donations if nobody changed the cart and checkout has not begun."""
    actions: list[Action] = [CartItem.donations.set(donations), CartItem.version.add(1)]
    actions.append(CartItem.voucher_code.set(voucher_code) if voucher_code else CartItem.voucher_code.remove())
    try:
        CartItem(cart_key(cart.id), "CART").update(
            actions=actions, condition=(CartItem.version == cart.version) & CartItem.order_id.does_not_exist()
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("The cart changed meanwhile; reload it and try again.") from error
        raise
