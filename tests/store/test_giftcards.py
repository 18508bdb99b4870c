"""Gift cards: issued with their sale's ledger entry in one transaction, spent only down to zero, given back once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.giftcards import GiftCard
from chalicelib.domain.money import Money
from chalicelib.store import giftcards
from chalicelib.store.models import LedgerItem, any_condition_failed, transaction_connection
from tests.store.conftest import table_items

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
HOUSE = "house-g5c2"


def card(code: str, cents: int = 5000) -> GiftCard:
    return GiftCard(code, HOUSE, Money(cents), Money(cents), NOW, "staff-k8d3")


def sale_entry(entry_id: str) -> LedgerItem:
    return LedgerItem(
        f"LEDGER#{entry_id}",
        f"HOUSE#{HOUSE}",
        entry={"lines": []},
        house_id=HOUSE,
        kind="gift_card_sale",
        booked_at=NOW,
    )


def pay(code: str, order_id: str, cents: int) -> None:
    with TransactWrite(connection=transaction_connection) as transaction:
        giftcards.claim_in(transaction, code, HOUSE, order_id, cents, NOW)


def test_a_card_is_issued_with_its_ledger_entry(local_tables):
    giftcards.issue(card("GC-7QW2-K9D4"), [sale_entry("e_sale1x")])
    assert giftcards.get_card("GC-7QW2-K9D4").balance == Money(5000)
    assert [item["SK"]["S"] for item in table_items(local_tables)] == ["GIFTCARD", f"HOUSE#{HOUSE}"]
    assert [issued.code for issued in giftcards.list_cards(HOUSE)] == ["GC-7QW2-K9D4"]


def test_the_same_code_twice_is_refused_and_writes_nothing(local_tables):
    giftcards.issue(card("GC-3RT8-M2X6"), [sale_entry("e_sale2a")])
    before = table_items(local_tables)
    with pytest.raises(AlreadyExists):
        giftcards.issue(card("GC-3RT8-M2X6", cents=9900), [sale_entry("e_sale2b")])
    assert table_items(local_tables) == before  # neither the other amount nor the second entry


def test_a_card_whose_ledger_entry_exists_already_is_not_issued(local_tables):
    giftcards.issue(card("GC-5HN1-P4V7"), [sale_entry("e_sale3x")])
    before = table_items(local_tables)
    with pytest.raises(AlreadyExists):
        giftcards.issue(card("GC-8JB6-W3Z1"), [sale_entry("e_sale3x")])
    assert table_items(local_tables) == before


def test_paying_never_takes_a_card_below_zero(local_tables):
    giftcards.issue(card("GC-2LM9-T6Q3", cents=3000))
    pay("GC-2LM9-T6Q3", "o_first4a", 2000)
    before = table_items(local_tables)
    with pytest.raises(TransactWriteError) as refused:
        pay("GC-2LM9-T6Q3", "o_secnd4b", 1500)
    assert any_condition_failed(refused.value)
    assert table_items(local_tables) == before
    assert giftcards.get_card("GC-2LM9-T6Q3").balance == Money(1000)
    assert giftcards.use_of("o_secnd4b") is None


def test_one_order_pays_with_a_card_once(local_tables):
    giftcards.issue(card("GC-6XC4-R8N2"))
    pay("GC-6XC4-R8N2", "o_once5a", 1000)
    with pytest.raises(TransactWriteError):
        pay("GC-6XC4-R8N2", "o_once5a", 1000)
    assert giftcards.get_card("GC-6XC4-R8N2").balance == Money(4000)


def test_a_checkout_without_a_sale_gives_the_amount_back_once(local_tables):
    giftcards.issue(card("GC-9DF7-H1K5"))
    pay("GC-9DF7-H1K5", "o_back6a", 1200)
    assert giftcards.release("o_back6a") is True
    assert giftcards.release("o_back6a") is False
    assert giftcards.get_card("GC-9DF7-H1K5").balance == Money(5000)
    assert giftcards.use_of("o_back6a").status == "released"
