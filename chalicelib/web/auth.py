"""Who may call a route: staff bearer tokens, per-house API keys, and the declaration on every route.

Every route declares its access where it is defined: `@staff(Role.HOUSE_ADMIN, …, scope="orders:read")`
or `@public_route(…)`. The declaration is what is enforced (the decorator authenticates before the
view runs) and what `tests/integration/test_access.py` walks over `app.routes`.

Staff tokens are JWTs of two issuers:
- the stage's own (HS256): the keyring in Secrets Manager `StaffTokenSecret` is a JSON object
  `{"current": kid, kid: key, …}`; tokens carry the `kid` they were signed with, so a rotation
  (a new kid made current) leaves tokens of the previous key valid until that key is removed.
  `scripts/run` and the tests issue these locally;
- a Cognito user pool (RS256, verified through its JWKS) when the stage names one
  (`COGNITO_ISSUER`, `COGNITO_CLIENT_ID`): an ID token whose `cognito:groups` holds one role and
  whose `custom:house_id` is the house.
An integration calls with `X-Podium-Api-Key` (made by a house admin, scoped, stored hashed).
Every principal carries its house: repositories are keyed by it.
"""

from __future__ import annotations

import contextvars
import functools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import jwt
from aws_lambda_powertools.utilities import parameters
from chalice.app import Request

from ..domain.errors import Forbidden
from ..services import api_keys
from ..settings import get_settings
from .http import Unauthorized, current_request
from .limits import enforce_rate_limits

AUDIENCE = "podium:staff"
SECRET_MAX_AGE = 300  # seconds a fetched keyring is reused before asking Secrets Manager again
API_KEY_HEADER = "x-podium-api-key"
LEGACY_KID = "k0"  # a keyring stored as a bare key (before rotation existed) has this one kid


class Role(str, Enum):
    COORDINATOR = "coordinator"
    HOUSE_ADMIN = "house_admin"
    BOX_OFFICE = "box_office"
    SCANNER = "scanner"
    INTEGRATION = "integration"  # only ever an API key's principal; never in a token


STAFF_ROLES = (Role.COORDINATOR, Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER)

# What an integration's API key may be given, and what each opens (routes declare `scope=`).
SCOPES = {
    "catalog:read": "performances and their tariffs",
    "orders:read": "this house's tickets of an order",
    "reports:read": "sales reports",
    "customers:read": "the marketing export (buyers who allowed this house's marketing)",
    "checkins:read": "how many are in the hall",
}


@dataclass(frozen=True)
class Staff:
    subject: str
    house_id: str | None
    role: Role
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Access:
    """A route's declared access: the staff roles (empty: anyone), the API-key scope that also
    opens it, whether the caller must be tied to a house, and whether it is rate limited."""

    roles: tuple[Role, ...]
    scope: str | None = None
    house_scoped: bool = True
    rate_limited: bool = False

    @property
    def public(self) -> bool:
        return not self.roles


_principal: contextvars.ContextVar[Staff | None] = contextvars.ContextVar("podium_principal", default=None)


def current_staff() -> Staff:
    """The caller that the route's `@staff` declaration let in."""
    principal = _principal.get()
    if principal is None:
        raise RuntimeError("current_staff() outside a @staff route")
    return principal


def staff(*roles: Role, scope: str | None = None, house_scoped: bool = True) -> Callable:
    """Declare and enforce a staff route: 401 without a valid credential, 403 for another role
    (or a key without `scope`); the view reads the caller with `current_staff()`."""
    if not roles or any(role is Role.INTEGRATION for role in roles):
        raise ValueError("a staff route names its staff roles; integrations come in through scope=")
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")
    access = Access(roles=tuple(roles), scope=scope, house_scoped=house_scoped)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authorize(current_request(), access)
            token = _principal.set(principal)
            try:
                return view(*args, **kwargs)
            finally:
                _principal.reset(token)

        wrapper.access = access  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public_route(*, rate_limited: bool = False) -> Callable:
    """Declare a route anyone may call (buyers, browsers, the payment provider's signed webhooks);
    `rate_limited` counts its calls per client address and per buyer session."""
    access = Access(roles=(), house_scoped=False, rate_limited=rate_limited)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if access.rate_limited:
                enforce_rate_limits(current_request())
            return view(*args, **kwargs)

        wrapper.access = access  # type: ignore[attr-defined]
        return wrapper

    return decorate


def access_of(view: Callable) -> Access | None:
    return getattr(view, "access", None)


def authorize(request: Request, access: Access) -> Staff:
    """The caller if `access` lets it in; Unauthorized (401) or Forbidden (403) otherwise."""
    api_key = request.headers.get(API_KEY_HEADER)
    if api_key is not None:
        record = api_keys.authenticate(api_key.strip())
        if record is None:
            raise Unauthorized("The API key is not valid or was revoked.")
        principal = Staff(
            subject=f"api-key:{record.key_id}",
            house_id=record.house_id,
            role=Role.INTEGRATION,
            scopes=frozenset(record.scopes),
        )
        if access.scope is None or access.scope not in principal.scopes:
            raise Forbidden("This API key may not do this.", required_scope=access.scope)
        return principal
    principal = _from_bearer_token(request)
    if principal.role not in access.roles:
        raise Forbidden("Your role may not do this.", required=[role.value for role in access.roles])
    if access.house_scoped and principal.role is not Role.COORDINATOR and not principal.house_id:
        raise Forbidden("This token is not tied to a house.")
    return principal


def house_of(principal: Staff) -> str:
    """The house a house-scoped call works on."""
    if not principal.house_id:
        raise Forbidden("This call needs a house's token.")
    return principal.house_id


# ------------------------------------------------------------------------------ the stage's own tokens
def issuer() -> str:
    return f"podium:{get_settings().stage}"


def parse_keyring(value: str) -> tuple[str, dict[str, str]]:
    """(current kid, {kid: key}) from the secret's text; a bare key (the old format) is one key."""
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return LEGACY_KID, {LEGACY_KID: value}
    keys: dict[str, str] = {
        kid: key for kid, key in document.items() if kid != "current" and isinstance(key, str) and key
    }
    current = document.get("current")
    if not isinstance(current, str) or current not in keys:
        raise ValueError("the staff keyring's current kid has no key")
    return current, keys


def rotated_keyring(value: str, new_kid: str, new_key: str, drop: tuple[str, ...] = ()) -> str:
    """The keyring with `new_kid` made current; the previous keys stay (tokens signed with them
    still verify) unless named in `drop`."""
    _, keys = parse_keyring(value)
    keys = {kid: key for kid, key in keys.items() if kid not in drop}
    keys[new_kid] = new_key
    return json.dumps({"current": new_kid, **keys})


KID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


def rotate_if_due(value: str, now: datetime, max_age: timedelta) -> str:
    """The keyring of `scripts/run`'s local issuer, rotated by its configured key age: once the
    current key (kid `k{time made}`) is older than `max_age`, a new key becomes current and only
    the one before it is kept (tokens it signed stay valid until it is dropped at the next rotation)."""
    current, keys = parse_keyring(value)
    try:
        made = datetime.strptime(current[1:], KID_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        made = None  # a kid of before dated rotation (k0, k1): rotate now
    if made is not None and now - made < max_age:
        return value
    new_kid = "k" + now.astimezone(UTC).strftime(KID_TIME_FORMAT)
    return json.dumps({"current": new_kid, current: keys[current], new_kid: secrets.token_urlsafe(48)})


class _Keyring:
    """The staff keyring from Secrets Manager, cached per process; an unknown kid refetches it (rarely)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_forced = 0.0

    def key(self, kid: str) -> str | None:
        _, keys = parse_keyring(self._fetch(force=False))
        if kid in keys:
            return keys[kid]
        with self._lock:
            if time.monotonic() - self._last_forced < get_settings().unknown_kid_refresh_seconds:
                return None
            self._last_forced = time.monotonic()
        _, keys = parse_keyring(self._fetch(force=True))
        return keys.get(kid)

    @staticmethod
    def _fetch(force: bool) -> str:
        settings = get_settings()
        return parameters.get_secret(
            settings.staff_token_secret_arn, max_age=settings.staff_keys_max_age, force_fetch=force
        )


_keyring = _Keyring()


def issue_token(keyring: str, subject: str, role: Role, house_id: str | None, ttl_seconds: int = 12 * 3600) -> str:
    """A staff token signed with the keyring's current key (the local issuer of `scripts/run` and
    the tests); `keyring` is the secret's text."""
    if role is Role.INTEGRATION:
        raise ValueError("integrations use API keys, not tokens")
    kid, keys = parse_keyring(keyring)
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role.value,
        "iss": issuer(),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if house_id is not None:
        claims["house_id"] = house_id
    return jwt.encode(claims, keys[kid], algorithm="HS256", headers={"kid": kid})


def _from_bearer_token(request: Request) -> Staff:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A staff bearer token is required.")
    try:
        unverified = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("The bearer token is not valid or has expired.") from None
    algorithm = unverified.get("alg")
    kid = unverified.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("The bearer token names no key.")
    try:
        if algorithm == "HS256":
            return _own_token(token, kid)
        if algorithm == "RS256" and get_settings().cognito_issuer:
            return _cognito_token(token)
    except (jwt.InvalidTokenError, jwt.PyJWKClientError, ValueError, KeyError):
        raise Unauthorized("The bearer token is not valid or has expired.") from None
    raise Unauthorized("The bearer token is not valid or has expired.")


def _own_token(token: str, kid: str) -> Staff:
    key = _keyring.key(kid)
    if key is None:
        raise jwt.InvalidTokenError("unknown kid")
    claims = jwt.decode(
        token,
        key,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=issuer(),
        options={"require": ["exp", "iat", "sub", "role"]},
    )
    role = Role(claims["role"])
    if role is Role.INTEGRATION:
        raise ValueError("integrations use API keys")
    house_id = claims.get("house_id")
    if house_id is not None and not isinstance(house_id, str):
        raise ValueError("house_id must be text")
    return Staff(subject=str(claims["sub"]), house_id=house_id, role=role)


_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _jwks_lock:
        if url not in _jwks_clients:
            # Keys are cached; an unknown kid refetches the set (Cognito rotated), not more often than
            # the stage's refresh interval. 5 s to answer.
            _jwks_clients[url] = jwt.PyJWKClient(
                url,
                cache_keys=True,
                lifespan=3600,
                timeout=5,
                cooldown_duration=get_settings().unknown_kid_refresh_seconds,
            )
        return _jwks_clients[url]


def _cognito_token(token: str) -> Staff:
    """A Cognito ID token of the stage's user pool: role from its one role group, house from `custom:house_id`."""
    settings = get_settings()
    signing = _jwks_client(settings.cognito_issuer.rstrip("/") + "/.well-known/jwks.json").get_signing_key_from_jwt(
        token
    )
    claims = jwt.decode(
        token,
        signing.key,
        algorithms=["RS256"],
        audience=settings.cognito_client_id,
        issuer=settings.cognito_issuer,
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )
    if claims.get("token_use") != "id":
        raise ValueError("an ID token is needed (it carries the house)")
    groups = [group for group in claims.get("cognito:groups", []) if group in {r.value for r in STAFF_ROLES}]
    if len(groups) != 1:
        raise ValueError("a staff user belongs to exactly one role group")
    house_id = claims.get("custom:house_id") or None
    return Staff(subject=str(claims["sub"]), house_id=house_id, role=Role(groups[0]))
