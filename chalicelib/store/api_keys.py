"""Integrations' API keys, per house (`HOUSE#h` / `APIKEY#id`): only a hash of the secret is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.errors import AlreadyExists, NotFound
from .models import TableItem, house_key, string_list


class ApiKeyItem(TableItem):
    key_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = string_list()
    secret_sha256 = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    house_id: str
    name: str
    scopes: tuple[str, ...]
    secret_sha256: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


def _key(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def _record(item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        item.key_id,
        item.house_id,
        item.name,
        tuple(item.scopes),
        item.secret_sha256,
        item.created_at,
        item.created_by,
        item.revoked_at,
    )


def create(key: ApiKey) -> None:
    """Store a new key (its id is random; a clash is refused, never overwritten)."""
    try:
        ApiKeyItem(
            house_key(key.house_id),
            _key(key.key_id),
            key_id=key.key_id,
            house_id=key.house_id,
            name=key.name,
            scopes=list(key.scopes),
            secret_sha256=key.secret_sha256,
            created_at=key.created_at,
            created_by=key.created_by,
        ).save(condition=ApiKeyItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise AlreadyExists("This key id exists already.") from None
        raise


def get(house_id: str, key_id: str) -> ApiKey | None:
    """The house's key by id (read by the house's key: another house's id is simply not there)."""
    try:
        return _record(ApiKeyItem.get(house_key(house_id), _key(key_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_for(house_id: str) -> list[ApiKey]:
    """The house's keys, revoked ones included."""
    return [_record(item) for item in ApiKeyItem.query(house_key(house_id), ApiKeyItem.sk.startswith("APIKEY#"))]


def revoke(house_id: str, key_id: str, now: datetime) -> ApiKey:
    """Revoke the house's key once (conditional: it exists here and is not revoked yet)."""
    item = ApiKeyItem(house_key(house_id), _key(key_id))
    try:
        item.update(
            actions=[ApiKeyItem.revoked_at.set(now)],
            condition=ApiKeyItem.pk.exists() & ApiKeyItem.revoked_at.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        existing = get(house_id, key_id)
        if existing is None:
            raise NotFound("No such API key.", key_id=key_id) from None
        return existing
    return _record(item)
