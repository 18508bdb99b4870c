"""Signed ticket payloads: what a ticket's QR code carries and a door scanner checks offline.

Payload text (version 1), URL-safe ASCII, about 230-260 characters and never 300 or more:

    PD1.<base64url(body)>.<base64url(Ed25519 signature)>        (base64url without padding)

`PD1` names the layout version. The signature covers the ASCII text `PD1.<base64url(body)>`, so the version
and every byte of the body are signed. The body is a fixed field layout, all integers big-endian:

    u8 length + kid (ASCII)         key id, first so a verifier can pick the key before parsing the rest
    u32 issued_at                   UTC epoch seconds
    u32 valid_from                  UTC epoch seconds, inclusive
    u32 valid_until                 UTC epoch seconds, exclusive
    u8 length + UTF-8 text          ticket id, order id, performance id, house id,
                                    seat label (length 0: a standing place), tariff code

A fixed layout rather than JSON: no keys, quotes or decimal digits, so about 40 characters fewer, and only
one byte string can mean given claims, which keeps the parser small and strict.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .ticket_errors import TicketExpired, TicketMalformed, TicketNotYetValid, TicketSignatureInvalid, TicketUnknownKey

FORMAT_PREFIX = "PD1"
MAX_PAYLOAD_LENGTH = 299  # inclusive: keeps the QR code at version 13 (69×69 modules) or smaller at level M
MAX_FIELD_BYTES = 40  # the longest identifier the catalog accepts
MAX_EPOCH_SECONDS = 2**32 - 1  # u32 seconds reach into 2106
DEFAULT_VALID_AFTER_START = timedelta(hours=6)

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,16}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGNATURE_BYTES = 64
_TIMES = struct.Struct(">III")
# Anything longer cannot be ours; refusing it early keeps a hostile scan from costing work.
_MAX_INPUT_LENGTH = 1024

PublicKeyLike = Ed25519PublicKey | str | bytes
PrivateKeyLike = Ed25519PrivateKey | str | bytes


@dataclass(frozen=True)
class TicketClaims:
    """What a ticket says: which place at which performance, and when it opens the door.

    `seat_label` None means a standing place. Times are UTC epoch seconds; valid_until is exclusive.
    """

    ticket_id: str
    order_id: str
    performance_id: str
    house_id: str
    seat_label: str | None
    tariff_code: str
    valid_from: int
    valid_until: int
    issued_at: int

    def __post_init__(self) -> None:
        for name in ("ticket_id", "order_id", "performance_id", "house_id", "tariff_code"):
            _check_text(name, getattr(self, name))
        if self.seat_label is not None:
            _check_text("seat_label", self.seat_label)
        for name in ("valid_from", "valid_until", "issued_at"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EPOCH_SECONDS:
                raise ValueError(f"{name} must be whole epoch seconds between 0 and {MAX_EPOCH_SECONDS}")
        if self.valid_from >= self.valid_until:
            raise ValueError("valid_from must come before valid_until")

    @property
    def is_standing(self) -> bool:
        """True for a standing place, which has no seat label."""
        return self.seat_label is None


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if len(value.encode("utf-8")) > MAX_FIELD_BYTES:
        raise ValueError(f"{name} must be at most {MAX_FIELD_BYTES} bytes in UTF-8")
    # A control character would print oddly on a scanner's screen and has no place in an id or label.
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in value):
        raise ValueError(f"{name} must not contain control characters")


def epoch_seconds(moment: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (rounded down)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("need an aware datetime")
    return int(moment.timestamp() // 1)


def validity_window(
    opens_at: datetime, starts_at: datetime, valid_after_start: timedelta = DEFAULT_VALID_AFTER_START
) -> tuple[int, int]:
    """(valid_from, valid_until) for a ticket usable from `opens_at` until some hours after the start.

    The hours after the start let late-comers in and cover a performance that runs late.
    """
    return epoch_seconds(opens_at), epoch_seconds(starts_at + valid_after_start)


def new_ticket_id() -> str:
    """A fresh ticket id: 96 random bits, 18 URL-safe characters."""
    return "t_" + secrets.token_urlsafe(12)


def generate_signing_key() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM).

    The private PEM is unencrypted: keep it in a secret store, never next to the code.
    """
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private_pem.decode("ascii"), public_key_pem(private_key.public_key())


def public_key_pem(key: Ed25519PublicKey) -> str:
    """The PEM text of a public key, as published to scanners."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_private_key(key: PrivateKeyLike) -> Ed25519PrivateKey:
    """An Ed25519 private key from a key object or unencrypted PEM text."""
    if isinstance(key, Ed25519PrivateKey):
        return key
    loaded = serialization.load_pem_private_key(key.encode("ascii") if isinstance(key, str) else key, password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError("ticket signing keys must be Ed25519")
    return loaded


def load_public_key(key: PublicKeyLike) -> Ed25519PublicKey:
    """An Ed25519 public key from a key object or PEM text."""
    if isinstance(key, Ed25519PublicKey):
        return key
    loaded = serialization.load_pem_public_key(key.encode("ascii") if isinstance(key, str) else key)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("ticket verification keys must be Ed25519")
    return loaded


class TicketSigner:
    """Signs ticket claims with one private key, named by `kid` in every payload it makes."""

    def __init__(self, private_key: PrivateKeyLike, kid: str) -> None:
        if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
            raise ValueError("kid must be 1 to 16 characters of A-Z, a-z, 0-9, '_' and '-'")
        self._key = load_private_key(private_key)
        self.kid = kid

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, to publish under this signer's kid."""
        return self._key.public_key()

    def sign(self, claims: TicketClaims) -> str:
        """The payload text for `claims`; ValueError if it would not fit MAX_PAYLOAD_LENGTH."""
        signed_part = f"{FORMAT_PREFIX}.{_b64encode(_encode_body(self.kid, claims))}"
        payload = f"{signed_part}.{_b64encode(self._key.sign(signed_part.encode('ascii')))}"
        if len(payload) > MAX_PAYLOAD_LENGTH:
            # Refuse rather than print a QR code too dense for a worn phone screen or a cheap scanner.
            raise ValueError(
                f"ticket payload would be {len(payload)} characters; shorten the ids (at most {MAX_PAYLOAD_LENGTH})"
            )
        return payload


class TicketVerifier:
    """Checks payloads offline against the listed public keys; a key listed in `retired` is refused.

    Rotation: sign with the newest key, keep the older ones listed until their tickets are used, then
    retire them. `leeway_seconds` widens the validity window for scanners whose clocks drift.
    """

    def __init__(
        self, public_keys: Mapping[str, PublicKeyLike], retired: Iterable[str] = (), leeway_seconds: int = 0
    ) -> None:
        if leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        self._keys = {kid: load_public_key(key) for kid, key in public_keys.items()}
        self._retired = frozenset(retired)
        self._leeway = leeway_seconds

    def verify(self, payload: str, now: datetime | int) -> TicketClaims:
        """The claims of a genuine payload valid at `now`; raises a TicketRejected subclass otherwise."""
        signed_part, body, signature = _split(payload)
        kid = _read_kid(body)
        if kid in self._retired:
            raise TicketUnknownKey("The ticket was signed with a retired key.", kid=kid, retired=True)
        key = self._keys.get(kid)
        if key is None:
            raise TicketUnknownKey("The ticket was signed with an unknown key.", kid=kid)
        try:
            key.verify(signature, signed_part.encode("ascii"))
        except InvalidSignature:
            raise TicketSignatureInvalid("The ticket's signature does not match.", kid=kid) from None
        claims = _decode_body(body)
        moment = _epoch(now)
        if moment < claims.valid_from - self._leeway:
            raise TicketNotYetValid(
                "The ticket is not valid yet.", ticket_id=claims.ticket_id, valid_from=claims.valid_from
            )
        if moment >= claims.valid_until + self._leeway:
            raise TicketExpired("The ticket has expired.", ticket_id=claims.ticket_id, valid_until=claims.valid_until)
        return claims


def _epoch(now: datetime | int) -> int:
    if isinstance(now, datetime):
        return epoch_seconds(now)
    if isinstance(now, int) and not isinstance(now, bool):
        return now
    raise TypeError("now must be an aware datetime or epoch seconds")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict unpadded base64url: one text per byte string, so no altered character can decode the same."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise TicketMalformed("The ticket is not valid base64url.")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The standard decoder ignores the unused low bits of the last character; insist they are zero.
    if _b64encode(raw) != text:
        raise TicketMalformed("The ticket is not canonical base64url.")
    return raw


def _split(payload: object) -> tuple[str, bytes, bytes]:
    if not isinstance(payload, str) or len(payload) > _MAX_INPUT_LENGTH:
        raise TicketMalformed("Not a ticket payload.")
    parts = payload.split(".")
    if len(parts) != 3 or parts[0] != FORMAT_PREFIX:
        raise TicketMalformed("Not a ticket payload of a known version.")
    body, signature = _b64decode(parts[1]), _b64decode(parts[2])
    if len(signature) != _SIGNATURE_BYTES:
        raise TicketMalformed("The ticket's signature has the wrong length.")
    return f"{parts[0]}.{parts[1]}", body, signature


def _encode_body(kid: str, claims: TicketClaims) -> bytes:
    texts = (
        claims.ticket_id,
        claims.order_id,
        claims.performance_id,
        claims.house_id,
        claims.seat_label or "",
        claims.tariff_code,
    )
    out = bytearray(_length_prefixed(kid.encode("ascii")))
    out += _TIMES.pack(claims.issued_at, claims.valid_from, claims.valid_until)
    for text in texts:
        out += _length_prefixed(text.encode("utf-8"))
    return bytes(out)


def _length_prefixed(raw: bytes) -> bytes:
    return bytes((len(raw),)) + raw


class _Reader:
    """Reads the body's fields in order; any shortfall is a malformed ticket."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.at = 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.raw):
            raise TicketMalformed("The ticket body is truncated.")
        chunk = self.raw[self.at : self.at + count]
        self.at += count
        return chunk

    def text(self) -> str:
        raw = self.take(self.take(1)[0])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TicketMalformed("The ticket body holds invalid UTF-8.") from None


def _read_kid(body: bytes) -> str:
    kid = _Reader(body).text()
    if not KID_PATTERN.fullmatch(kid):
        raise TicketMalformed("The ticket names no valid key id.")
    return kid


def _decode_body(body: bytes) -> TicketClaims:
    reader = _Reader(body)
    reader.text()  # kid, already read
    issued_at, valid_from, valid_until = _TIMES.unpack(reader.take(_TIMES.size))
    ticket_id, order_id, performance_id, house_id, seat_label, tariff_code = [reader.text() for _ in range(6)]
    if reader.at != len(body):
        raise TicketMalformed("The ticket body has trailing bytes.")
    try:
        return TicketClaims(
            ticket_id=ticket_id,
            order_id=order_id,
            performance_id=performance_id,
            house_id=house_id,
            seat_label=seat_label or None,
            tariff_code=tariff_code,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_at=issued_at,
        )
    except ValueError as error:
        raise TicketMalformed(f"The ticket's claims are invalid: {error}") from None


def keys_from_seeds(document: Mapping[str, str]) -> tuple[str, dict[str, Ed25519PrivateKey], list[str]]:
    """(active kid, private key per kid, retired kids) from a key document.

    The document is what a secret store can generate by itself: `{"active": kid, "seed_<kid>": random
    text, …, "retired": "kid,kid"}`. Each key is derived from its seed (SHA-256 → Ed25519 seed), so
    rotating is adding a seed and switching `active`; old kids keep verifying until retired.
    """
    keys = {
        name[len("seed_") :]: Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
        for name, seed in document.items()
        if name.startswith("seed_") and seed
    }
    active = document.get("active", "")
    if active not in keys:
        raise ValueError(f"the ticket key document has no seed for its active kid {active!r}")
    retired = [kid for kid in str(document.get("retired", "")).split(",") if kid]
    return active, keys, retired
