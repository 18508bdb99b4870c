"""API keys: created once per id, read only through their own house, revoked once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import AlreadyExists, NotFound
from chalicelib.store import api_keys
from tests.store.conftest import table_items

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def key(key_id: str, house_id: str = "house-k3p8", name: str = "Box office") -> api_keys.ApiKey:
    return api_keys.ApiKey(key_id, house_id, name, ("orders:read",), "9f2c" * 16, NOW, "staff-q7w1")


def test_a_key_id_is_never_overwritten(local_tables):
    api_keys.create(key("k_7hd2m9"))
    before = table_items(local_tables)
    with pytest.raises(AlreadyExists):
        api_keys.create(key("k_7hd2m9", name="Other"))
    assert table_items(local_tables) == before
    assert api_keys.get("house-k3p8", "k_7hd2m9").name == "Box office"


def test_another_house_does_not_see_the_key(local_tables):
    api_keys.create(key("k_4nx8q1"))
    assert api_keys.get("house-z9y2", "k_4nx8q1") is None
    assert api_keys.list_for("house-z9y2") == []
    with pytest.raises(NotFound):
        api_keys.revoke("house-z9y2", "k_4nx8q1", NOW)
    assert table_items(local_tables)[0].get("revoked_at") is None


def test_a_key_is_revoked_once_and_keeps_its_first_revocation(local_tables):
    api_keys.create(key("k_2vb6t5"))
    first = api_keys.revoke("house-k3p8", "k_2vb6t5", NOW)
    again = api_keys.revoke("house-k3p8", "k_2vb6t5", NOW + timedelta(hours=1))
    assert first.revoked_at == NOW and again.revoked_at == NOW
