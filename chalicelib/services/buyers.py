"""Buyers' rights across the cluster: the preferences link, consent changes, export and erasure.

The buyer reaches all of this from the link in every e-mail (signed, expiring, naming the buyer
id, never the address). Changing a consent appends a choice with its wording, language, time and
channel (`preferences`) to each house's record. The export is everything the cluster's houses hold
about the buyer. Erasure runs as the `erasure.asl.json` workflow: pseudonymise orders and purchases,
remove the records and links, then complete a receipt that holds no personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import i18n, ports
from ..domain import buyers as domain
from ..domain.customers import ConsentChoice, ConsentKind, OrderBuyer, consent_choices, proven_choices
from ..domain.errors import NotFound
from ..notifications.email import send_preferences_link
from ..observability import count, logger
from ..settings import get_settings
from ..store import buyers as store
from ..store import catalog
from ..store import customers as customer_store
from ..store import orders as order_store
from ..store import purchases as purchase_store
from .customer_keys import cluster_key

EXPORT_FORMAT = "podium.buyer-export/1"
# An erasure still not done this long after it was asked for lost its execution (failed after its retries,
# or never started): asking again runs it again. A Standard execution of three tasks takes seconds.
ERASURE_RESUME_AFTER = timedelta(minutes=15)
LINK_MAIL_EVERY = timedelta(minutes=15)  # a form anyone can send must not flood a buyer's mailbox


# -- the link --------------------------------------------------------------------------------------
def preferences_url(email: str, language: str, now: datetime, order_id: str | None = None) -> str | None:
    """The buyer's preferences page, for the footer of every e-mail (None where no public address is set).

    The token sits in the fragment (`#t=`): browsers never send a fragment, so it reaches no access log,
    and the page hands it over once in a form post."""
    base = get_settings().public_base_url
    if not base:
        return None
    key = cluster_key()
    token = domain.preferences_token(key, domain.buyer_id(key, email), now, order_id=order_id)
    language = language if language in ("nl", "fr", "en") else "nl"
    return f"{base.rstrip('/')}/p/preferences?lang={language}#t={token}"


def buyer_of(token: str, now: datetime) -> str:
    """The buyer id a preferences token names, for the JSON API's header (LinkInvalid → 404, LinkExpired →
    410, LinkUsed → 410 once the page opened it)."""
    link = domain.read_preferences_token(cluster_key(), token, now)
    if store.link_spent(link.buyer_id, link.nonce):
        raise domain.LinkUsed("This link was used already; every e-mail from us carries a new one.")
    return link.buyer_id


def open_link(token: str, now: datetime) -> str:
    """Follow the link of an e-mail: the token is spent (a second use is refused) and the address it went to is
    proven, which opens the page's session. That proves the address, not that the choices made with an order
    are its owner's: they wait on the page for the owner to confirm or decline them. The buyer id."""
    link = domain.read_preferences_token(cluster_key(), token, now)
    if not store.spend_link(link.buyer_id, link.nonce, now):
        raise domain.LinkUsed("This link was used already; every e-mail from us carries a new one.")
    return link.buyer_id


def page_session(buyer_id: str, now: datetime) -> str:
    """The preferences page's short session for the buyer (the cookie after a link was opened)."""
    return domain.session_token(cluster_key(), buyer_id, now)


def buyer_of_session(session: str | None, now: datetime) -> str | None:
    return domain.verify_session_token(cluster_key(), session, now) if session else None


def _order_buyers(buyer_id: str, order_id: str, links: store.BuyerLinks | None = None) -> list[OrderBuyer]:
    """What the order kept of this buyer at each of the buyer's houses (none if the order is not theirs)."""
    links = links if links is not None else store.links_of(buyer_id)
    if order_id not in links.orders:
        return []
    found = (customer_store.order_buyer(house_id, order_id) for house_id in sorted(links.customers))
    return [
        order_buyer
        for order_buyer in found
        if order_buyer is not None and order_buyer.customer_id == links.customers[order_buyer.house_id]
    ]


def waiting_orders(buyer_id: str) -> list[dict[str, Any]]:
    """The buyer's orders whose choices wait for the owner's word, oldest first, each as it was typed and ticked:
    name and details, marketing per house, sharing. Every order placed with the address is the buyer's here,
    also one a stranger placed: that is why the owner confirms or declines each one separately."""
    links = store.links_of(buyer_id)
    orders = []
    for order_id in links.orders:
        found = [order_buyer for order_buyer in _order_buyers(buyer_id, order_id, links) if order_buyer.waiting]
        if not found:
            continue
        details = found[0].details
        orders.append(
            {
                "order_id": order_id,
                "given_at": found[0].given_at,
                "name": details.name,
                "email": details.email,
                # the address's owner may be reading a stranger's order: a phone number only as its last digits
                "phone_ends": "".join(filter(str.isdigit, details.phone or ""))[-2:] or None,
                "postcode": details.postcode,
                "houses": [
                    {
                        "house_id": order_buyer.house_id,
                        "house_name": catalog.get_house(order_buyer.house_id).name,
                        "marketing": _ticked(order_buyer, ConsentKind.MARKETING),
                    }
                    for order_buyer in found
                ],
                "sharing": any(_ticked(order_buyer, ConsentKind.SHARING) for order_buyer in found),
            }
        )
    return sorted(orders, key=lambda order: order["given_at"])


def _ticked(order_buyer: OrderBuyer, kind: ConsentKind) -> bool:
    choice = order_buyer.choice(kind)
    return bool(choice and choice.granted)


def confirm_order(buyer_id: str, order_id: str, now: datetime) -> list[dict[str, Any]]:
    """The address's owner confirms the choices made with one of their orders: at each house, the order's name
    and details become the record's and its pending consents are recorded (source `order`, verified, `at` the
    confirmation, `given_at` the sale). Only this order's; confirming again records nothing; declined ones are
    refused (ChoicesDecided). The choices recorded."""
    found = _order_buyers(buyer_id, order_id)
    if not found:
        raise NotFound("No choices of this order wait for you.", order_id=order_id)
    if any(order_buyer.declined_at for order_buyer in found):
        raise domain.ChoicesDecided(
            "These choices were declined; they can no longer be confirmed.", declined=True, order_id=order_id
        )
    recorded: list[dict[str, Any]] = []
    for order_buyer in found:
        if not order_buyer.waiting:
            continue

        def decide(consents: dict[str, Any], order_buyer: OrderBuyer = order_buyer) -> list[ConsentChoice]:
            return proven_choices(order_buyer, consents, now)

        choices = customer_store.apply_order_buyer(order_buyer, decide, now)
        recorded += [{"house_id": order_buyer.house_id, **choice.to_dict()} for choice in choices]
    if not recorded and any(order_buyer.declined_at for order_buyer in _order_buyers(buyer_id, order_id)):
        raise domain.ChoicesDecided(
            "These choices were declined meanwhile; they can no longer be confirmed.", declined=True, order_id=order_id
        )
    if recorded:
        count("ConsentsProven", len(recorded))
        logger.info("order's choices proven", extra={"order_id": order_id, "choices": len(recorded)})
    return recorded


def decline_order(buyer_id: str, order_id: str, now: datetime) -> bool:
    """The address's owner says the choices made with the order are not theirs: at every house they are marked
    declined (all at once, each on condition it is still waiting) and never applied; the records are not
    touched. Declining again changes nothing (False); confirmed ones are refused (ChoicesDecided)."""
    found = _order_buyers(buyer_id, order_id)
    if not found:
        raise NotFound("No choices of this order wait for you.", order_id=order_id)
    confirmed = domain.ChoicesDecided(
        "These choices were confirmed already; change them on the page instead.", declined=False, order_id=order_id
    )
    if any(order_buyer.applied_at for order_buyer in found):
        raise confirmed
    waiting = [order_buyer.house_id for order_buyer in found if order_buyer.waiting]
    if not waiting:
        return False
    if not customer_store.decline_order_buyers(waiting, order_id, now):
        if any(order_buyer.applied_at for order_buyer in _order_buyers(buyer_id, order_id)):
            raise confirmed
        return False  # declined meanwhile
    count("OrderChoicesDeclined")
    logger.info("order's choices declined", extra={"order_id": order_id, "houses": len(waiting)})
    return True


def send_new_link(email: str, language: str, now: datetime) -> None:
    """E-mail a fresh link to the address if the cluster knows it, at most once per quarter hour; the asker
    is told the same either way, so the form does not reveal who bought tickets."""
    key = cluster_key()
    buyer = domain.buyer_id(key, email)
    if store.links_of(buyer).empty or not store.claim_link_mail(buyer, now, LINK_MAIL_EVERY):
        return
    url = preferences_url(email, language, now)
    if url:
        send_preferences_link(email, language, preferences_url=url)
        count("PreferencesLinksSent")


def link_buyer(email: str, customer_ids: dict[str, str], order_id: str | None, now: datetime) -> None:
    """Tie the buyer's records at these houses (and the order) to the buyer id, for the link's pages."""
    store.link(domain.buyer_id(cluster_key(), email), customer_ids, order_id, now)


# -- the preferences page ----------------------------------------------------------------------------
def _current_sharing(records: list[customer_store.CustomerRecord]) -> bool:
    """Sharing is one consent for the whole cluster: the buyer's latest sharing choice at any house."""
    choices = [record.consents.get("sharing") or {} for record in records]
    latest = max(choices, key=lambda choice: choice.get("at") or "", default={})
    return bool(latest.get("granted"))


def _records(buyer_id: str) -> list[customer_store.CustomerRecord]:
    links = store.links_of(buyer_id)
    found = [customer_store.find_customer(house_id, customer_id) for house_id, customer_id in links.customers.items()]
    return [record for record in found if record is not None]


def preferences(buyer_id: str) -> dict[str, Any]:
    """What the preferences page shows: each house's record and consents, the cluster-wide sharing, erasures."""
    records = _records(buyer_id)
    houses = []
    for record in sorted(records, key=lambda r: r.house_id):
        house = catalog.get_house(record.house_id)
        houses.append(
            {
                "house_id": record.house_id,
                "house_name": house.name,
                "name": record.details.name,
                "email": record.details.email,
                "marketing": bool((record.consents.get("marketing") or {}).get("granted")),
                "consents": record.consents,
            }
        )
    return {"houses": houses, "sharing": _current_sharing(records), "erasures": store.receipts_of(buyer_id)}


def change_consents(buyer_id: str, wish: domain.ConsentWish, language: str, now: datetime) -> list[dict[str, Any]]:
    """Record what changed, per house, with the wording shown in the buyer's language (channel
    `preferences`, verified: only the link's holder gets here); the same wish sent again records nothing.
    Returns the choices recorded."""
    settings = get_settings()
    links = store.links_of(buyer_id)
    unknown = set(wish.marketing) - set(links.customers)
    if unknown:
        raise NotFound("The buyer has no record at this house.", house_ids=sorted(unknown))
    recorded: list[dict[str, Any]] = []
    for house_id, customer_id in sorted(links.customers.items()):
        house = catalog.get_house(house_id)

        def decide(
            consents: dict[str, Any], house_id: str = house_id, house_name: str = house.name
        ) -> list[ConsentChoice]:
            changed = domain.changed_consents(consents, house_id, wish)
            worded = {
                choice.kind: choice
                for choice in consent_choices(
                    changed.get(ConsentKind.MARKETING, False),
                    changed.get(ConsentKind.SHARING, False),
                    language,
                    house_name,
                    settings.cluster_name,
                    now,
                    "preferences",
                    verified=True,
                    translate=i18n.gettext,
                )
            }
            return [worded[kind] for kind in changed]

        for choice in store.change_consents(house_id, customer_id, decide, now):
            recorded.append({"house_id": house_id, **choice.to_dict()})
    if recorded:
        count("ConsentsChanged", len(recorded))
        logger.info(
            "consents changed", extra={"houses": len({r["house_id"] for r in recorded}), "choices": len(recorded)}
        )
    return recorded


# -- export ---------------------------------------------------------------------------------------------
def export(buyer_id: str, now: datetime) -> dict[str, Any]:
    """Everything the cluster's houses hold about the buyer, machine-readable (JSON)."""
    links = store.links_of(buyer_id)
    houses = []
    for house_id, customer_id in sorted(links.customers.items()):
        record = customer_store.find_customer(house_id, customer_id)
        if record is None:
            continue
        houses.append(
            {
                "house_id": house_id,
                "house_name": catalog.get_house(house_id).name,
                "customer_id": customer_id,
                "details": {
                    "name": record.details.name,
                    "email": record.details.email,
                    "phone": record.details.phone,
                    "postcode": record.details.postcode,
                },
                "consents": record.consents,
                "consent_history": list(record.consent_log),
                "purchases": [
                    {
                        "order_id": p.order_id,
                        "performance_ids": list(p.performance_ids),
                        "tickets": p.tickets,
                        "amount_cents": p.amount_cents,
                        "channel": p.channel,
                        "bought_at": p.bought_at.isoformat(),
                    }
                    for p in purchase_store.of_customer(house_id, customer_id)
                ],
            }
        )
    orders = []
    for order_id in sorted(links.orders):
        try:
            order = order_store.get_order(order_id)
        except NotFound:
            continue  # a checkout that never began
        orders.append(
            {
                "order_id": order.id,
                "status": order.status.value,
                "channel": order.channel,
                "seller_house_id": order.seller_house_id,
                "language": order.language,
                "created_at": order.created_at.isoformat() if order.created_at else None,
                "completed_at": order.completed_at.isoformat() if order.completed_at else None,
                "total_cents": order.total.cents,
                "currency": order.total.currency,
                "lines": [line.to_dict() for line in order.lines],
                "tickets": [
                    {
                        "ticket_id": t.ticket_id,
                        "house_id": t.house_id,
                        "performance_id": t.performance_id,
                        "seat_id": t.seat_id,
                        "seat_label": t.seat_label,
                        "category": t.category,
                        "tariff_code": t.tariff_code,
                        "price_cents": t.price_cents,
                        "status": t.status.value,
                        "issued_at": t.issued_at.isoformat(),
                    }
                    for t in order_store.tickets_of(order.id)
                ],
                "refunds": [
                    {
                        "refund_id": r.refund_id,
                        "amount_cents": r.amount_cents,
                        "reason": r.reason,
                        "note": r.note,
                        "status": r.status,
                        "created_at": r.created_at.isoformat(),
                    }
                    for r in order_store.refunds_of(order.id)
                ],
                "buyer": [
                    _order_buyer_export(found)
                    for found in (
                        customer_store.order_buyer(house_id, order.id) for house_id in sorted(links.customers)
                    )
                    if found
                ],
            }
        )
    count("BuyerExports")
    return {
        "format": EXPORT_FORMAT,
        "generated_at": now.isoformat(),
        "cluster": get_settings().cluster_name,
        "buyer_id": buyer_id,
        "houses": houses,
        "orders": orders,
        "erasures": store.receipts_of(buyer_id),
    }


def _order_buyer_export(found: OrderBuyer) -> dict[str, Any]:
    """The buyer as the order gave them at a house, and the choices it ticked (applied once the address's owner
    confirmed them, never once they declined them)."""
    return {
        "house_id": found.house_id,
        "details": {
            "name": found.details.name,
            "email": found.details.email,
            "phone": found.details.phone,
            "postcode": found.details.postcode,
        },
        "choices": [choice.to_dict() for choice in found.pending],
        "given_at": found.given_at.isoformat(),
        "proven_at": found.applied_at.isoformat() if found.applied_at else None,
        "declined_at": found.declined_at.isoformat() if found.declined_at else None,
    }


# -- erasure ------------------------------------------------------------------------------------------
def request_erasure(buyer_id: str, now: datetime) -> dict[str, Any]:
    """Start erasing everything the cluster holds about the buyer; the receipt.

    The erasure id is derived from the buyer and the records found, so a repeated or concurrent
    request starts (at most) the same workflow execution; with nothing left to erase it starts none.
    """
    links = store.links_of(buyer_id)
    if links.empty:
        receipts = store.receipts_of(buyer_id)
        if receipts:
            return receipts[-1]
        raise NotFound("There is no personal data of this buyer.")
    erasure = domain.erasure_id(
        buyer_id, [f"HOUSE#{h}#{c}" for h, c in links.customers.items()] + [f"ORDER#{o}" for o in links.orders]
    )
    execution = erasure
    if store.begin_erasure(buyer_id, erasure, list(links.customers), now):
        count("ErasuresRequested")
    else:
        receipt = _receipt(buyer_id, erasure)
        waited = now - datetime.fromisoformat(receipt["requested_at"])
        if receipt["status"] == "erasing" and waited >= ERASURE_RESUME_AFTER:
            # Step Functions never starts a name twice, so a failed run is resumed under a name per quarter
            # hour; its steps are idempotent, so an overlap with a run still going is harmless.
            execution = f"{erasure}-{int(waited / ERASURE_RESUME_AFTER)}"
            logger.warning("erasure resumed", extra={"erasure_id": erasure, "execution": execution})
    ports.workflows().start("erasure", execution, {"buyer_id": buyer_id, "erasure_id": erasure})
    logger.info(
        "erasure requested", extra={"erasure_id": erasure, "houses": len(links.customers), "orders": len(links.orders)}
    )
    return _receipt(buyer_id, erasure)


def register_of_erasures(since: datetime) -> list[dict[str, Any]]:
    """The cluster's erasures since `since` (ids, houses, counts, times): what a DPO answers to with."""
    return store.register_of_erasures(since)


def _receipt(buyer_id: str, erasure: str) -> dict[str, Any]:
    return next(r for r in store.receipts_of(buyer_id) if r["erasure_id"] == erasure)


def pseudonymise(buyer_id: str) -> dict[str, Any]:
    """Workflow step: the buyer's orders and purchases carry a pseudonym instead of the customer ids."""
    key = cluster_key()
    links = store.links_of(buyer_id)
    pseudonyms = {
        customer_id: domain.erased_pseudonym(key, house_id, customer_id)
        for house_id, customer_id in links.customers.items()
    }
    orders = sum(store.pseudonymise_order(order_id, pseudonyms) for order_id in links.orders)
    purchases = sum(
        store.move_purchases(house_id, customer_id, pseudonyms[customer_id])
        for house_id, customer_id in links.customers.items()
    )
    notes = sum(order_store.forget_refund_notes(order_id) for order_id in links.orders)
    return {"orders": orders, "purchases": purchases, "refund_notes": notes}


def forget(buyer_id: str) -> dict[str, Any]:
    """Workflow step: remove each house's record and each order's copy of the buyer, then the links (last: a
    rerun after a failure still finds what is left). SES keeps no copy of a sent e-mail, so none is erased."""
    links = store.links_of(buyer_id)
    records = sum(store.delete_customer(house_id, customer_id) for house_id, customer_id in links.customers.items())
    for house_id in links.customers:  # what each order kept of its buyer, with its pending choices
        for order_id in links.orders:
            customer_store.delete_order_buyer(house_id, order_id)
    store.unlink(buyer_id)
    return {"customer_records": records}


def complete(buyer_id: str, erasure: str, counts: dict[str, int], now: datetime) -> dict[str, Any]:
    """Workflow step: the receipt says erased, with what was done; ids and counts only."""
    kinds = ("customer_records", "orders", "purchases", "refund_notes")
    store.complete_erasure(buyer_id, erasure, {name: int(counts.get(name, 0)) for name in kinds}, now)
    count("BuyersErased")
    logger.info("buyer erased", extra={"erasure_id": erasure, **{k: int(v) for k, v in counts.items()}})
    return {"erasure_id": erasure, "status": "erased"}
