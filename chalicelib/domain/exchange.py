"""What the UiTwisselingsplatform gets: pseudonymised transactions as JSON-LD (docs/exchange-mapping.md).

Plain Python, no AWS and no HTTP. Every sale, refund and check-in becomes one node with the
performance, house, tariff, price, channel, time, an optional postcode area and a buyer
pseudonym. Nothing else about the buyer is ever put in: a node is built only from the fields
below, so a name, an e-mail address or a street has no way in; a refund's reason is one of the
fixed codes (`REFUND_REASONS`), never the house's free-text note.

The buyer pseudonym is `HMAC-SHA256(cluster exchange key, "exchange" | house | customer id)`.
Customer ids are already per-house HMACs of the e-mail address with another cluster key; the
exchange key is a second, separate key, so the platform can neither recompute a customer id nor
link one buyer across houses, while each house's buyer keeps one stable pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .orders import refund_reason_code

SALE, REFUND, CHECK_IN = "sale", "refund", "check_in"
TYPES = {SALE: "cp:Ticketverkoop", REFUND: "cp:Terugbetaling", CHECK_IN: "cp:Aanwezigheid"}

CONTEXT = {
    "cp": "https://data.vlaanderen.be/ns/cultuurparticipatie#",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "locn": "http://www.w3.org/ns/locn#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "tijdstip": {"@id": "prov:atTime", "@type": "xsd:dateTime"},
    "voorstelling": {"@id": "cp:voorstelling", "@type": "@id"},
    "productie": {"@id": "cp:productie", "@type": "@id"},
    "organisator": {"@id": "cp:organisator", "@type": "@id"},
    "verkoper": {"@id": "cp:verkoopkanaal", "@type": "@id"},
    "deelnemer": {"@id": "cp:deelnemer", "@type": "@id"},
    "tariefcategorie": "cp:tariefcategorie",
    "prijscategorie": "cp:prijscategorie",
    "prijs": {"@id": "schema:price", "@type": "xsd:decimal"},
    "munteenheid": "schema:priceCurrency",
    "aantal": {"@id": "cp:aantal", "@type": "xsd:integer"},
    "postcodegebied": "locn:postCode",
    "betreft": {"@id": "prov:wasDerivedFrom", "@type": "@id"},
    "reden": "cp:reden",
}

_POSTCODE = re.compile(r"^\s*(\d{2})\d{2}\s*$")  # Belgian postcodes: four digits


def buyer_pseudonym(exchange_key: bytes, house_id: str, customer_id: str) -> str:
    """The buyer's stable pseudonym at one house, for the exchange platform only."""
    digest = hmac.new(exchange_key, f"exchange\n{house_id}\n{customer_id}".encode(), hashlib.sha256).hexdigest()
    return f"urn:podium:deelnemer:{digest[:40]}"


def postcode_area(postcode: str | None) -> str | None:
    """The first two digits of a Belgian postcode (an area of tens of municipalities), or None."""
    match = _POSTCODE.match(postcode or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Transaction:
    """One ticket's sale, refund or check-in, as the exchange platform may know it."""

    kind: str
    ticket_id: str
    order_id: str
    performance_id: str
    production_id: str | None
    house_id: str
    seller_house_id: str | None
    tariff_code: str
    category: str | None
    price_cents: int
    currency: str
    at: datetime
    buyer: str | None  # a pseudonym from buyer_pseudonym, never an identifier of the person
    postcode_area: str | None = None
    refund_id: str | None = None
    reason: str | None = None  # a code of REFUND_REASONS only: free text could name the buyer


def ids(cluster: str) -> dict[str, Callable[[str], str]]:
    base = f"urn:podium:{cluster}"
    return {
        "ticket": lambda t: f"{base}:ticket:{t}",
        "performance": lambda p: f"{base}:voorstelling:{p}",
        "production": lambda p: f"{base}:productie:{p}",
        "house": lambda h: f"{base}:huis:{h}",
    }


def transaction_id(cluster: str, transaction: Transaction) -> str:
    """Stable per transaction: a redelivered event maps to the same ids (the platform can deduplicate)."""
    base = f"urn:podium:{cluster}"
    if transaction.kind == SALE:
        return f"{base}:verkoop:{transaction.ticket_id}"
    if transaction.kind == REFUND:
        return f"{base}:terugbetaling:{transaction.ticket_id}:{transaction.refund_id}"
    return f"{base}:aanwezigheid:{transaction.ticket_id}"


def sale_id(cluster: str, ticket_id: str) -> str:
    return f"urn:podium:{cluster}:verkoop:{ticket_id}"


def node(cluster: str, transaction: Transaction) -> dict[str, Any]:
    """One transaction as a JSON-LD node (compacted against CONTEXT)."""
    make = ids(cluster)
    sign = -1 if transaction.kind == REFUND else 1
    document = {
        "@id": transaction_id(cluster, transaction),
        "@type": TYPES[transaction.kind],
        "tijdstip": transaction.at.isoformat(),
        "voorstelling": make["performance"](transaction.performance_id),
        "organisator": make["house"](transaction.house_id),
        "tariefcategorie": transaction.tariff_code,
        "prijs": f"{Decimal(sign * transaction.price_cents) / 100:.2f}",
        "munteenheid": transaction.currency,
        "aantal": sign,
    }
    if transaction.kind == CHECK_IN:
        document["aantal"] = 1
        document.pop("prijs")
        document.pop("munteenheid")
    if transaction.production_id:
        document["productie"] = make["production"](transaction.production_id)
    if transaction.seller_house_id:
        document["verkoper"] = make["house"](transaction.seller_house_id)
    if transaction.category:
        document["prijscategorie"] = transaction.category
    if transaction.buyer:
        document["deelnemer"] = transaction.buyer
    if transaction.postcode_area:
        document["postcodegebied"] = transaction.postcode_area
    if transaction.kind in (REFUND, CHECK_IN):
        document["betreft"] = sale_id(cluster, transaction.ticket_id)
    if transaction.kind == REFUND:
        document["reden"] = refund_reason_code(transaction.reason)
    return document


def document(cluster: str, event_id: str, transactions: list[Transaction]) -> dict[str, Any]:
    """The JSON-LD document for one domain event: its transactions as a graph."""
    return {
        "@context": CONTEXT,
        "@id": f"urn:podium:{cluster}:gebeurtenis:{event_id}",
        "@graph": [node(cluster, transaction) for transaction in transactions],
    }


def transactions_from_event(
    event_type: str,
    detail: dict[str, Any],
    occurred_at: datetime,
    pseudonyms: dict[str, str],
    postcode_areas: dict[str, str | None],
    productions: dict[str, str],
) -> list[Transaction]:
    """The transactions an `OrderPlaced`, `TicketRefunded` or `CheckedIn` event stands for.

    `pseudonyms` and `postcode_areas` are per house (the buyer is one customer per house);
    `productions` maps performance ids to production ids where known.
    """
    kind = {"OrderPlaced": SALE, "TicketRefunded": REFUND, "CheckedIn": CHECK_IN}[event_type]
    tickets = detail.get("tickets") or ([detail] if kind == CHECK_IN else [])
    return [
        Transaction(
            kind=kind,
            ticket_id=ticket["ticket_id"],
            order_id=detail.get("order_id") or ticket.get("order_id", ""),
            performance_id=ticket["performance_id"],
            production_id=productions.get(ticket["performance_id"]),
            house_id=ticket["house_id"],
            seller_house_id=detail.get("seller_house_id"),
            tariff_code=ticket.get("tariff_code", ""),
            category=ticket.get("category"),
            price_cents=int(ticket.get("price", 0)),
            currency=detail.get("currency", "EUR"),
            at=occurred_at,
            buyer=pseudonyms.get(ticket["house_id"]),
            postcode_area=postcode_areas.get(ticket["house_id"]),
            refund_id=detail.get("refund_id"),
            reason=refund_reason_code(detail.get("reason")) if kind == REFUND else None,
        )
        for ticket in tickets
    ]
