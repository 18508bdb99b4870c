"""Buyers' personal data: kept per house, minimal, with consents recorded as given.

A cross-house order makes one customer record per house if there is none; an address typed at a sale
proves nothing, so what the order says (name, consents) waits on the order until the address's owner
follows the link in its e-mail and confirms them there (`OrderBuyer`). A customer's id is a
keyed hash of the e-mail address, stable within a house and unlinkable across houses or
clusters without the cluster's secret, so no key ever shows an address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from .errors import FieldError, ValidationFailed
from .texts import N_

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,63}$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,20}$")
POSTCODE = re.compile(r"^[A-Za-z0-9 -]{3,10}$")


class ConsentKind(str, Enum):
    MARKETING = "marketing"  # this house may send the buyer news and offers
    SHARING = "sharing"  # the cluster's other houses may see this buyer


# The wording shown to the buyer (an English msgid, translated at the edge) is recorded with each choice, in the
# buyer's language, as what was agreed to; tests/unit/test_translations.py pins every language's exact words.
CONSENT_WORDING: dict[ConsentKind, str] = {
    ConsentKind.MARKETING: N_("Yes, {house} may e-mail me news and offers. I can unsubscribe at any time."),
    ConsentKind.SHARING: N_("Yes, the other houses of {cluster} may see my details and purchases."),
}


@dataclass(frozen=True)
class BuyerDetails:
    name: str
    email: str
    phone: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class ConsentChoice:
    """One recorded choice: what was asked (the wording), the answer, when, in which language, from where."""

    kind: ConsentKind
    granted: bool
    wording: str
    language: str
    at: datetime
    source: str  # order | preferences | staff | box_office | checkout (before pending choices existed)
    verified: bool = False  # made by whoever proved the address (its link), not just typed at a sale
    order_id: str | None = None  # the order whose pending choice this applies
    given_at: datetime | None = None  # when it was ticked, if it was applied later (at = when it was proven)

    def to_dict(self) -> dict[str, Any]:
        event = {
            "kind": self.kind.value,
            "granted": self.granted,
            "wording": self.wording,
            "language": self.language,
            "at": self.at.isoformat(),
            "source": self.source,
            "verified": self.verified,
        }
        if self.order_id:
            event["order_id"] = self.order_id
        if self.given_at:
            event["given_at"] = self.given_at.isoformat()
        return event

    @classmethod
    def from_dict(cls, event: dict[str, Any]) -> ConsentChoice:
        """A choice as kept in a log or on an order."""
        given = event.get("given_at")
        return cls(
            ConsentKind(event["kind"]),
            bool(event["granted"]),
            event["wording"],
            event["language"],
            datetime.fromisoformat(event["at"]),
            event["source"],
            bool(event.get("verified")),
            event.get("order_id"),
            datetime.fromisoformat(given) if given else None,
        )

    def proven(self, order_id: str, at: datetime) -> ConsentChoice:
        """This pending choice applied once the address's owner proved it (source `order`)."""
        return ConsentChoice(self.kind, self.granted, self.wording, self.language, at, "order", True, order_id, self.at)


def validate_buyer(name: str, email: str, phone: str | None, postcode: str | None) -> BuyerDetails:
    """Normalised buyer details, or ValidationFailed listing each bad field."""
    errors = []
    name = " ".join((name or "").split())
    email = (email or "").strip()
    if not 1 <= len(name) <= 120:
        errors.append(FieldError("buyer.name", "invalid_name", "Give a name of 1 to 120 characters."))
    if not EMAIL.match(email) or len(email) > 254:
        errors.append(FieldError("buyer.email", "invalid_email", "Give a valid e-mail address."))
    if phone and not PHONE.match(phone):
        errors.append(FieldError("buyer.phone", "invalid_phone", "Give a valid phone number."))
    if postcode and not POSTCODE.match(postcode):
        errors.append(FieldError("buyer.postcode", "invalid_postcode", "Give a valid postcode."))
    if errors:
        raise ValidationFailed("Some buyer details are not valid.", errors)
    local, _, domain_part = email.rpartition("@")
    return BuyerDetails(name, f"{local}@{domain_part.lower()}", phone or None, (postcode or "").strip() or None)


def customer_id(cluster_secret: bytes, house_id: str, email: str) -> str:
    """The buyer's id at one house: HMAC of house and e-mail (case of the address ignored)."""
    digest = hmac.new(cluster_secret, f"{house_id}\n{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()
    return "cu_" + digest[:32]


def consent_wording(
    kind: ConsentKind, language: str, house_name: str, cluster_name: str, translate: Callable[[str, str], str]
) -> str:
    """The words of one consent as shown to (and recorded for) a buyer reading `language`."""
    return translate(language, CONSENT_WORDING[kind]).format(house=house_name, cluster=cluster_name)


def consent_choices(
    marketing: bool,
    sharing: bool,
    language: str,
    house_name: str,
    cluster_name: str,
    at: datetime,
    source: str,
    verified: bool = False,
    *,
    translate: Callable[[str, str], str],
) -> list[ConsentChoice]:
    """Both consents as the buyer saw and answered them; both are off unless ticked. `translate(language, msgid)`
    (`chalicelib.i18n.gettext`) gives the wording in the buyer's language."""
    language = language if language in ("nl", "fr", "en") else "nl"
    return [
        ConsentChoice(
            kind,
            granted,
            consent_wording(kind, language, house_name, cluster_name, translate),
            language,
            at,
            source,
            verified,
        )
        for kind, granted in ((ConsentKind.MARKETING, marketing), (ConsentKind.SHARING, sharing))
    ]


@dataclass(frozen=True)
class OrderBuyer:
    """The buyer as one order gave them at one house, with the choices that wait for the address's proof."""

    house_id: str
    order_id: str
    customer_id: str
    details: BuyerDetails
    pending: tuple[ConsentChoice, ...]
    given_at: datetime
    applied_at: datetime | None = None  # the address's owner confirmed them
    declined_at: datetime | None = None  # the address's owner said they were not theirs: never applied

    @property
    def waiting(self) -> bool:
        """The choices wait for the address's owner to confirm or decline them."""
        return self.applied_at is None and self.declined_at is None

    def choice(self, kind: ConsentKind) -> ConsentChoice | None:
        return next((choice for choice in self.pending if choice.kind is kind), None)

    def shares_this_order(self, consents: dict[str, dict[str, Any]]) -> bool:
        """Sharing ticked at an unproven sale covers this order only, and only until the record holds a
        choice about sharing made since (the proven owner's word, or a withdrawal); never once the owner declined."""
        sharing = self.choice(ConsentKind.SHARING)
        if not self.waiting or sharing is None or not sharing.granted:
            return False
        later = (consents.get(ConsentKind.SHARING.value) or {}).get("at")
        return not later or datetime.fromisoformat(later) < self.given_at


def proven_choices(order_buyer: OrderBuyer, consents: dict[str, dict[str, Any]], at: datetime) -> list[ConsentChoice]:
    """The order's pending choices as events of the proven owner (source `order`): each one that changes
    the record, or confirms a choice nobody proved yet; never over a choice the buyer made after the order."""
    proven = []
    for choice in order_buyer.pending:
        current = consents.get(choice.kind.value) or {}
        made = current.get("given_at") or current.get("at")
        if made and datetime.fromisoformat(made) > order_buyer.given_at:
            continue
        if bool(current.get("granted")) != choice.granted or not current.get("verified"):
            proven.append(choice.proven(order_buyer.order_id, at))
    return proven
