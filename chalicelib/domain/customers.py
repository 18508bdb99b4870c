"""Buyers' personal data: kept per house, minimal, with consents recorded as given.

A cross-house order makes or updates one customer record per house. A customer's id is a
keyed hash of the e-mail address, stable within a house and unlinkable across houses or
clusters without the cluster's secret, so no key ever shows an address.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from .errors import FieldError, ValidationFailed

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,63}$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,20}$")
POSTCODE = re.compile(r"^[A-Za-z0-9 -]{3,10}$")


class ConsentKind(str, Enum):
    MARKETING = "marketing"  # this house may send the buyer news and offers
    SHARING = "sharing"  # the cluster's other houses may see this buyer


# The exact wording shown to the buyer is recorded with each choice (what was agreed to).
CONSENT_WORDING: dict[ConsentKind, dict[str, str]] = {
    ConsentKind.MARKETING: {
        "nl": "Ja, {house} mag me nieuws en aanbiedingen mailen. Uitschrijven kan altijd.",
        "fr": "Oui, {house} peut m'envoyer ses nouvelles et offres. Désinscription possible à tout moment.",
        "en": "Yes, {house} may e-mail me news and offers. I can unsubscribe at any time.",
    },
    ConsentKind.SHARING: {
        "nl": "Ja, de andere huizen van {cluster} mogen mijn gegevens en aankopen zien.",
        "fr": "Oui, les autres maisons de {cluster} peuvent voir mes données et mes achats.",
        "en": "Yes, the other houses of {cluster} may see my details and purchases.",
    },
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
    source: str  # checkout | preferences

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "granted": self.granted, "wording": self.wording,
                "language": self.language, "at": self.at.isoformat(), "source": self.source}


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


def consent_choices(marketing: bool, sharing: bool, language: str, house_name: str, cluster_name: str,
                    at: datetime, source: str) -> list[ConsentChoice]:
    """Both consents as the buyer saw and answered them; both are off unless ticked."""
    language = language if language in ("nl", "fr", "en") else "nl"
    return [ConsentChoice(kind, granted, CONSENT_WORDING[kind][language].format(house=house_name, cluster=cluster_name),
                          language, at, source)
            for kind, granted in ((ConsentKind.MARKETING, marketing), (ConsentKind.SHARING, sharing))]
