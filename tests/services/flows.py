"""The buyer's and the checkout workflow's steps, as the routes and the state machine call the services."""

from __future__ import annotations

from chalicelib.domain.customers import BuyerDetails
from chalicelib.domain.orders import Order
from chalicelib.services import carts, checkout
from chalicelib.services.reservations import HoldRequest, create_hold
from chalicelib.store import orders as order_store

from .conftest import Cluster

SESSION = "sess-Q7w2Kd9xLp4Rv8Tz3Nb6"
OTHER_SESSION = "sess-M3k8Vt1Yq6Hc9Wn2Ls5"
BUYER = BuyerDetails(name="An Koper", email="an.koper@example.org")


def hold_seats(cluster: Cluster, *seat_ids: str, session: str = SESSION):
    return create_hold(cluster.seated.id, session, HoldRequest(seat_ids=tuple(seat_ids), kind="seats"), cluster.now)


def hold_standing(cluster: Cluster, places: int, session: str = SESSION):
    return create_hold(cluster.standing.id, session, HoldRequest(standing=places, kind="standing"), cluster.now)


def cart_with(cluster: Cluster, *holds, session: str = SESSION) -> str:
    cart = carts.create_cart(session, cluster.now)
    for hold in holds:
        carts.put_hold(cart.id, session, hold.id, {}, "full", cluster.now)
    return cart.id


def start_checkout(cluster: Cluster, cart_id: str, session: str = SESSION, buyer: BuyerDetails = BUYER) -> Order:
    return checkout.start_checkout(
        cart_id, session, buyer, marketing=False, sharing=False, language="nl", seller_house_id=None, now=cluster.now
    )


def token_of(order_id: str) -> str:
    return f"task-token-{order_id}"


def run_until_payment(cluster: Cluster, order_id: str) -> str:
    """The workflow up to its wait for the payment (price, create the payment, park); the PaymentIntent id."""
    checkout.price_order(order_id, None, cluster.now)
    intent_id = checkout.create_payment(order_id)["payment_intent_id"]
    checkout.await_payment(order_id, token_of(order_id))
    return intent_id


def run_after_payment(cluster: Cluster, order_id: str) -> None:
    """The workflow once the payment succeeded: confirm the seats, issue, e-mail and announce the tickets."""
    checkout.confirm_seats(order_id, cluster.now)
    checkout.issue_tickets(order_id, cluster.now)
    checkout.email_tickets(order_id)
    checkout.publish_order_placed(order_id, cluster.now)


def paid_order(cluster: Cluster, *holds, session: str = SESSION) -> Order:
    """A whole purchase: cart, checkout, payment (its webhook), tickets."""
    order = start_checkout(cluster, cart_with(cluster, *holds, session=session), session)
    intent_id = run_until_payment(cluster, order.id)
    checkout.on_payment_event(cluster.ports.payments.pay(intent_id), cluster.now)
    run_after_payment(cluster, order.id)
    return order_store.get_order(order.id)
