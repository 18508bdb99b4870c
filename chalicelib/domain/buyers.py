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
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .customers import ConsentKind
from .errors import Conflict, DomainError

PREFERENCES_LINK_DAYS = 400  # a ticket e-mail is read again long after the sale: a season and then some
BUYER_ID_PREFIX = "bu_"
PSEUDONYM_PREFIX = "ps_"


class LinkInvalid(DomainError):
    """The link was not made by this cluster (or was altered): nobody is behind it."""

    code = "not_found"


class LinkExpired(DomainError):
    code = "link_expired"


class LinkUsed(DomainError):
    """The link was followed once already (each works once; a fresh one comes with every e-mail)."""

    code = "link_used"


class ChoicesDecided(Conflict):
    """An order's choices were declined (they can no longer be confirmed) or confirmed (no longer declined)."""

    def __init__(self, detail: str, declined: bool, **context: Any) -> None:
        super().__init__(detail, **context)
        self.declined = declined


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


def _signing_key(cluster_secret: bytes, purpose: bytes = b"podium-preferences-link-v1") -> bytes:
    # A key of its own per purpose, so a signature can never be confused with a customer or buyer id,
    # nor a page session with a link.
    return hmac.new(cluster_secret, purpose, hashlib.sha256).digest()


def _signature(cluster_secret: bytes, body: str, purpose: bytes = b"podium-preferences-link-v1") -> str:
    mac = hmac.new(_signing_key(cluster_secret, purpose), body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


SESSION_PURPOSE = b"podium-preferences-session-v1"
PREFERENCES_SESSION_MINUTES = 30  # the page's cookie: long enough to read and choose, short if left open


@dataclass(frozen=True)
class PreferencesLink:
    """What a link's token says: whose it is, the order whose e-mail carried it (if any), its one use."""

    buyer_id: str
    order_id: str | None
    nonce: str
    expires_at: datetime


def preferences_token(
    cluster_secret: bytes,
    buyer: str,
    now: datetime,
    valid_for: timedelta = timedelta(days=PREFERENCES_LINK_DAYS),
    order_id: str | None = None,
) -> str:
    """A signed, expiring, single-use token naming the buyer id and the order whose e-mail carries it
    (URL-safe; no address or name in it)."""
    if not buyer.startswith(BUYER_ID_PREFIX):
        raise ValueError("a preferences token names a buyer id")
    if order_id and not all(c.isalnum() or c == "_" for c in order_id):
        raise ValueError("an order id is letters, digits and underscores")
    expires = int((now + valid_for).timestamp())
    body = f"{buyer[len(BUYER_ID_PREFIX) :]}.{order_id or ''}.{secrets.token_urlsafe(9)}.{expires:x}"
    return f"{body}.{_signature(cluster_secret, body)}"


def read_preferences_token(cluster_secret: bytes, token: str, now: datetime) -> PreferencesLink:
    """What the token says; LinkInvalid if it was not signed here, LinkExpired after its time."""
    parts = (token or "").split(".")
    if len(parts) != 5 or len(token) > 200:
        raise LinkInvalid("This link is not valid.")
    body = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _signature(cluster_secret, body)):
        raise LinkInvalid("This link is not valid.")
    expires = _expiry(parts[3])
    if expires <= now:
        raise LinkExpired("This link has expired; every e-mail from us carries a new one.")
    return PreferencesLink(BUYER_ID_PREFIX + parts[0], parts[1] or None, parts[2], expires)


def verify_preferences_token(cluster_secret: bytes, token: str, now: datetime) -> str:
    """The buyer id the token names; LinkInvalid if it was not signed here, LinkExpired after its time."""
    return read_preferences_token(cluster_secret, token, now).buyer_id


def _expiry(hexadecimal: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(hexadecimal, 16), UTC)
    except (ValueError, OverflowError, OSError):
        raise LinkInvalid("This link is not valid.") from None


def session_token(
    cluster_secret: bytes,
    buyer: str,
    now: datetime,
    valid_for: timedelta = timedelta(minutes=PREFERENCES_SESSION_MINUTES),
) -> str:
    """The preferences page's short session (an HttpOnly cookie), given for a link that was just used."""
    body = f"{buyer[len(BUYER_ID_PREFIX) :]}.{int((now + valid_for).timestamp()):x}"
    return f"{body}.{_signature(cluster_secret, body, SESSION_PURPOSE)}"


def verify_session_token(cluster_secret: bytes, token: str, now: datetime) -> str | None:
    """The buyer id of a live page session; None for anything else (the page then asks for a link)."""
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token) > 100:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(cluster_secret, body, SESSION_PURPOSE)):
        return None
    try:
        if _expiry(parts[1]) <= now:
            return None
    except LinkInvalid:
        return None
    return BUYER_ID_PREFIX + parts[0]


@dataclass(frozen=True)
class ConsentWish:
    """What the buyer wants now: marketing per house (by house id), and sharing across the cluster."""

    marketing: dict[str, bool]
    sharing: bool


def changed_consents(current: dict[str, dict[str, Any]], house_id: str, wish: ConsentWish) -> dict[ConsentKind, bool]:
    """The consents of one house's record that the wish changes (nothing when resubmitted unchanged)."""
    wanted = {ConsentKind.MARKETING: wish.marketing[house_id]} if house_id in wish.marketing else {}
    wanted[ConsentKind.SHARING] = wish.sharing
    return {
        kind: granted
        for kind, granted in wanted.items()
        if bool((current.get(kind.value) or {}).get("granted")) != granted
    }


def erasure_id(buyer: str, records: list[str]) -> str:
    """One erasure per buyer and set of records: concurrent or repeated requests meet the same id."""
    digest = hashlib.sha256("\n".join([buyer, *sorted(records)]).encode()).hexdigest()
    return "er_" + digest[:24]
