"""API keys of a house's integrations: made by its admin with scopes, shown once, stored hashed.

A key reads `pk.{house}.{key id}.{secret}`: the house and id find its record by key (one GetItem
in the house's partition), and only a SHA-256 of the 256-bit random secret is stored, so a
leaked table does not leak keys. A revoked key stops working at its next call (no cache).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from ..domain.errors import FieldError, NotFound, ValidationFailed
from ..store import api_keys as store
from ..store.api_keys import ApiKey

KEY_PATTERN = re.compile(r"^pk\.([a-z0-9][a-z0-9-]{0,39})\.([a-f0-9]{16})\.([A-Za-z0-9_-]{43})$")
MAX_KEYS_PER_HOUSE = 50


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    house_id: str, name: str, scopes: list[str], allowed: set[str], by: str, now: datetime
) -> tuple[ApiKey, str]:
    """A new key of the house; returns its record and the key text (the only time it is shown)."""
    unknown = sorted(set(scopes) - allowed)
    if unknown:
        raise ValidationFailed(
            "Unknown scopes.", [FieldError("scopes", "unknown_scope", f"Not a scope: {', '.join(unknown)}.")]
        )
    if len([key for key in store.list_for(house_id) if key.revoked_at is None]) >= MAX_KEYS_PER_HOUSE:
        raise ValidationFailed(
            "Too many keys.", [FieldError("", "too_many_keys", f"At most {MAX_KEYS_PER_HOUSE} live keys; revoke one.")]
        )
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    record = ApiKey(
        key_id=key_id,
        house_id=house_id,
        name=name,
        scopes=tuple(sorted(set(scopes))),
        secret_sha256=_hash(secret),
        created_at=now,
        created_by=by,
    )
    store.create(record)
    return record, f"pk.{house_id}.{key_id}.{secret}"


def authenticate(text: str) -> ApiKey | None:
    """The live key this text is, or None (malformed, unknown, wrong secret, revoked)."""
    match = KEY_PATTERN.match(text)
    if not match:
        return None
    house_id, key_id, secret = match.groups()
    record = store.get(house_id, key_id)
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.secret_sha256, _hash(secret)):
        return None
    return record


def list_keys(house_id: str) -> list[ApiKey]:
    return sorted(store.list_for(house_id), key=lambda key: key.created_at)


def revoke(house_id: str, key_id: str, now: datetime) -> ApiKey:
    """Revoke the house's key; an id that is not one of its keys is not found."""
    if not re.fullmatch(r"[a-f0-9]{16}", key_id):
        raise NotFound("No such API key.", key_id=key_id[:40])
    return store.revoke(house_id, key_id, now)
