"""Gift cards: the desk sells them; holders look up their balance; buyers pay (part of) a cart with one."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.giftcards import GiftCard
from ..services import giftcards as service
from ..services.carts import own_cart
from ..web.auth import Role, current_staff, house_of, public_route, staff
from ..web.http import endpoint, json_response, parse_body, utc_text
from ..web.limits import enforce_code_attempt_limits
from ..web.sessions import buyer_session
from . import schemas
from .views import cart_view

giftcards = Blueprint(__name__)
route = endpoint(giftcards)


def card_view(card: GiftCard) -> dict:
    return {
        "code": card.code,
        "house_id": card.house_id,
        "amount": card.amount.to_dict(),
        "balance": card.balance.to_dict(),
        "issued_at": utc_text(card.issued_at),
    }


@giftcards.route("/staff/gift-cards", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE)
def issue_card():
    """The desk sold a gift card (paid at the desk): a new unguessable code with the amount as its balance."""
    caller = current_staff()
    body = parse_body(giftcards.current_request, schemas.GiftCardBody)
    card = service.issue_card(house_of(caller), body.amount, caller.subject, ports.clock().now())
    return json_response(card_view(card), 201)


@giftcards.route("/staff/gift-cards", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE)
def list_cards():
    return json_response({"gift_cards": [card_view(card) for card in service.house_cards(house_of(current_staff()))]})


# A card's code is what pays with it: it travels in request bodies only, never in a URL (paths and
# query strings reach access logs), so looking a card up is a POST.
@giftcards.route("/staff/gift-cards/lookup", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE)
def get_card():
    body = parse_body(giftcards.current_request, schemas.GiftCardCodeBody)
    return json_response(card_view(service.own_card(body.code, house_of(current_staff()))))


@giftcards.route("/gift-cards/balance", methods=["POST"])
@route
@public_route(rate_limited=True)
def card_balance():
    """The holder's balance, by the card's code (rate limited as a typed code: codes are not to be guessed)."""
    enforce_code_attempt_limits(giftcards.current_request)
    body = parse_body(giftcards.current_request, schemas.GiftCardCodeBody)
    card = service.card_by_code(body.code)  # an unknown code is 404
    return json_response({"balance": card.balance.to_dict(), "house_id": card.house_id})


@giftcards.route("/carts/{cart_id}/gift-card", methods=["PUT"])
@route
@public_route(rate_limited=True)
def apply_card(cart_id: str):
    """Pay the session's cart (partly) with a gift card: the cart shows the card's part and what is left to pay."""
    enforce_code_attempt_limits(giftcards.current_request)
    session = buyer_session(giftcards.current_request)
    own_cart(cart_id, session)  # an unknown cart is 404 whatever the body says
    body = parse_body(giftcards.current_request, schemas.GiftCardCodeBody)
    now = ports.clock().now()
    return json_response(cart_view(service.apply_card(cart_id, session, body.code, now), now))


@giftcards.route("/carts/{cart_id}/gift-card", methods=["DELETE"])
@route
@public_route(rate_limited=True)
def remove_card(cart_id: str):
    now = ports.clock().now()
    return json_response(cart_view(service.remove_card(cart_id, buyer_session(giftcards.current_request), now), now))
