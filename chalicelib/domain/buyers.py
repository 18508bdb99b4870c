"""A buyer across the cluster's houses: the preferences link, consent changes, erasure pseudonyms.

Each house keeps its own record of a buyer (`domain.customers`). What ties those records together
is the buyer id, a keyed hash of the e-mail address under the cluster's secret: the preferences
link in every e-mail names that id (never the address), signed and with an expiry, and an erased
buyer's orders keep a pseudonym derived from the house's customer id under the same secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .customers import ConsentKind
from .errors import DomainError

PREFERENCES_LINK_DAYS = 400  # a ticket e-mail is read again long after the sale: a season and then some
BUYER_ID_PREFIX = "bu_"
PSEUDONYM_PREFIX = "ps_"


class LinkInvalid(DomainError):
    """The link was not made by this cluster (or was altered): nobody is behind it."""

    code = "not_found"


class LinkExpired(DomainError):
    code = "link_expired"


def buyer_id(cluster_secret: bytes, email: str) -> str:
    """The buyer's id across the cluster's houses: HMAC of the e-mail address (case ignored)."""
    digest = hmac.new(cluster_secret, f"buyer\n{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()
    return BUYER_ID_PREFIX + digest[:32]


def erased_pseudonym(cluster_secret: bytes, house_id: str, customer_id: str) -> str:
    """What an erased buyer's orders and purchases at a house carry instead of the customer id.

    Stable (erasing twice gives the same pseudonym), but not the id a new purchase with the same
    address would get: after erasure nothing links the old orders to the person.
    """
    digest = hmac.new(cluster_secret, f"erased\n{house_id}\n{customer_id}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def _signing_key(cluster_secret: bytes) -> bytes:
    # A key of its own, so a signature can never be confused with a customer or buyer id.
    return hmac.new(cluster_secret, b"podium-preferences-link-v1", hashlib.sha256).digest()


def _signature(cluster_secret: bytes, body: str) -> str:
    mac = hmac.new(_signing_key(cluster_secret), body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def preferences_token(cluster_secret: bytes, buyer: str, now: datetime,
                      valid_for: timedelta = timedelta(days=PREFERENCES_LINK_DAYS)) -> str:
    """A signed, expiring token naming the buyer id (URL-safe; no address or name in it)."""
    if not buyer.startswith(BUYER_ID_PREFIX):
        raise ValueError("a preferences token names a buyer id")
    expires = int((now + valid_for).timestamp())
    body = f"{buyer[len(BUYER_ID_PREFIX):]}.{expires:x}"
    return f"{body}.{_signature(cluster_secret, body)}"


def verify_preferences_token(cluster_secret: bytes, token: str, now: datetime) -> str:
    """The buyer id the token names; LinkInvalid if it was not signed here, LinkExpired after its time."""
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token) > 100:
        raise LinkInvalid("This link is not valid.")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(cluster_secret, body)):
        raise LinkInvalid("This link is not valid.")
    try:
        expires = datetime.fromtimestamp(int(parts[1], 16), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise LinkInvalid("This link is not valid.") from None
    if expires <= now:
        raise LinkExpired("This link has expired; every e-mail from us carries a new one.")
    return BUYER_ID_PREFIX + parts[0]


@dataclass(frozen=True)
class ConsentWish:
    """What the buyer wants now: marketing per house (by house id), and sharing across the cluster."""

    marketing: dict[str, bool]
    sharing: bool


def changed_consents(current: dict[str, dict], house_id: str, wish: ConsentWish) -> dict[ConsentKind, bool]:
    """The consents of one house's record that the wish changes (nothing when resubmitted unchanged)."""
    wanted = {ConsentKind.MARKETING: wish.marketing[house_id]} if house_id in wish.marketing else {}
    wanted[ConsentKind.SHARING] = wish.sharing
    return {kind: granted for kind, granted in wanted.items()
            if bool((current.get(kind.value) or {}).get("granted")) != granted}


def erasure_id(buyer: str, records: list[str]) -> str:
    """One erasure per buyer and set of records: concurrent or repeated requests meet the same id."""
    digest = hashlib.sha256("\n".join([buyer, *sorted(records)]).encode()).hexdigest()
    return "er_" + digest[:24]
