"""The staff keyring (kid → key, one current) and its rotation; the rate-limit windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chalicelib.domain.limits import window_at
from chalicelib.web.auth import Role, issue_token, parse_keyring, rotate_if_due, rotated_keyring

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def test_a_bare_key_of_before_rotation_is_a_keyring_of_one():
    assert parse_keyring("s3cr3t-key") == ("k0", {"k0": "s3cr3t-key"})
    token = issue_token("s3cr3t-key" * 4, "someone", Role.SCANNER, "house-a")
    assert jwt.get_unverified_header(token)["kid"] == "k0"


def test_a_keyring_without_its_current_key_is_refused():
    with pytest.raises(ValueError):
        parse_keyring(json.dumps({"current": "k2", "k1": "x"}))


def test_rotation_keeps_the_previous_keys_until_they_are_dropped():
    first = json.dumps({"current": "k1", "k1": "a" * 48})
    second = rotated_keyring(first, "k2", "b" * 48)
    assert parse_keyring(second) == ("k2", {"k1": "a" * 48, "k2": "b" * 48})
    assert parse_keyring(rotated_keyring(second, "k3", "c" * 48, drop=("k1",))) == (
        "k3",
        {"k2": "b" * 48, "k3": "c" * 48},
    )
    token = issue_token(second, "admin", Role.HOUSE_ADMIN, "house-a")
    assert jwt.get_unverified_header(token)["kid"] == "k2"
    assert jwt.decode(token, "b" * 48, algorithms=["HS256"], audience="podium:staff")["house_id"] == "house-a"


def test_the_local_issuer_rotates_by_key_age_and_keeps_only_the_previous_key():
    legacy = json.dumps({"current": "k1", "k1": "a" * 48})
    rotated = rotate_if_due(legacy, NOW, timedelta(days=30))
    current, keys = parse_keyring(rotated)
    assert current == "k20261123T180000Z" and set(keys) == {"k1", current}
    assert rotate_if_due(rotated, NOW + timedelta(days=29), timedelta(days=30)) == rotated
    again, keys = parse_keyring(rotate_if_due(rotated, NOW + timedelta(days=30), timedelta(days=30)))
    assert again == "k20261223T180000Z" and set(keys) == {current, again}  # k1 dropped


def test_an_integration_never_gets_a_token():
    with pytest.raises(ValueError):
        issue_token("k" * 48, "crm", Role.INTEGRATION, "house-a")


def test_rate_windows_are_fixed_and_say_when_to_retry():
    window = window_at(NOW + timedelta(seconds=45), 60)
    assert window.ends_in == 15 and window.number == int(NOW.timestamp()) // 60
    assert window.expires_at == int(NOW.timestamp()) + 120
    assert window_at(NOW + timedelta(seconds=59, microseconds=999), 60).ends_in == 1
    assert window_at(NOW + timedelta(seconds=60), 60).number == window.number + 1
