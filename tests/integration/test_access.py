"""Who may call what: every route declares it, and the declaration is what the route enforces.

Staff routes refuse a call without a credential (401), with another role's token (403), with an
API key that lacks the route's scope (403); tokens verify by their key id through rotations;
Cognito's RS256 ID tokens verify through the pool's JWKS (a local JWKS server here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app import app
from chalicelib.web.auth import AUDIENCE, SCOPES, STAFF_ROLES, Role, access_of, issue_token, rotated_keyring
from scripts.embedded import resources
from tests.local_site import Answer, LocalSite

from .conftest import Client, HouseFixture, unique

# Staff-looking paths that are public HTML shells: the page asks for the token and sends it with its API calls.
STAFF_PAGE_SHELLS = {("/staff/scanner", "GET"), ("/staff/desk", "GET")}


def routes():
    return [
        (path, method, entry.view_function) for path, entries in app.routes.items() for method, entry in entries.items()
    ]


def concrete(path: str) -> str:
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "does-not-exist" + path[end + 1 :]
    return path


def test_every_route_declares_who_may_call_it():
    undeclared = [(path, method) for path, method, view in routes() if access_of(view) is None]
    assert undeclared == []
    for path, method, view in routes():
        access = access_of(view)
        if path.startswith("/staff/") and (path, method) not in STAFF_PAGE_SHELLS:
            assert access.roles, f"{method} {path} is a staff route declared public"
            assert Role.INTEGRATION not in access.roles
        else:
            assert not access.roles, f"{method} {path} is declared staff but lives outside /staff/"
    # every buyer-facing write counts against the rate limits
    for path, method, view in routes():
        if (
            not path.startswith("/staff/")
            and method in ("POST", "PUT", "DELETE", "PATCH")
            and path != "/webhooks/stripe"
        ):
            assert access_of(view).rate_limited, f"{method} {path} is a public write without rate limits"
    scoped = {access_of(view).scope for _, _, view in routes()} - {None}
    assert scoped == set(SCOPES), "a scope no route accepts, or a route with an unknown scope"


def test_each_staff_route_enforces_exactly_the_roles_it_declares(stack, house, signing_key):
    coordinator = issue_token(signing_key, "coordinator", Role.COORDINATOR, None)
    tokens = {role: house.token_for(role) for role in STAFF_ROLES if role is not Role.COORDINATOR}
    tokens[Role.COORDINATOR] = coordinator
    anonymous = Client(stack.api_url)
    checked = 0
    for path, method, view in routes():
        access = access_of(view)
        if not access.roles:
            continue
        url = concrete(path)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = anonymous.request(method, url, json=body)
        assert response.status_code == 401, f"{method} {path} without a token: {response.status_code}"
        assert response.json()["code"] == "unauthorized"
        for role, token in tokens.items():
            response = Client(stack.api_url, token).request(method, url, json=body)
            context = f"{method} {path} as {role.value}: {response.status_code} {response.text[:200]}"
            if role in access.roles:
                assert response.status_code not in (401, 403) or response.json()["code"] not in (
                    "unauthorized",
                    "forbidden",
                ), context
            else:
                assert response.status_code == 403 and response.json()["code"] == "forbidden", context
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize(
    "mangle",
    [
        "expired",
        "wrong_audience",
        "wrong_issuer",
        "unsigned",
        "wrong_key",
        "no_kid",
        "unknown_kid",
        "integration_role",
        "garbage",
    ],
)
def test_a_forged_or_stale_token_is_refused(stack, house, signing_key, mangle):
    now = int(time.time())
    claims = {
        "sub": "x",
        "role": "house_admin",
        "house_id": house.id,
        "iss": "podium:demo",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
    }
    keyring = json.loads(signing_key)
    kid, key = keyring["current"], keyring[keyring["current"]]
    token = {
        "expired": lambda: jwt.encode({**claims, "exp": now - 5}, key, "HS256", headers={"kid": kid}),
        "wrong_audience": lambda: jwt.encode({**claims, "aud": "elsewhere"}, key, "HS256", headers={"kid": kid}),
        "wrong_issuer": lambda: jwt.encode({**claims, "iss": "podium:gent"}, key, "HS256", headers={"kid": kid}),
        "unsigned": lambda: jwt.encode(claims, None, "none", headers={"kid": kid}),
        "wrong_key": lambda: jwt.encode(claims, secrets.token_urlsafe(48), "HS256", headers={"kid": kid}),
        "no_kid": lambda: jwt.encode(claims, key, "HS256"),
        "unknown_kid": lambda: jwt.encode(claims, key, "HS256", headers={"kid": "k-unknown"}),
        "integration_role": lambda: jwt.encode({**claims, "role": "integration"}, key, "HS256", headers={"kid": kid}),
        "garbage": lambda: "not.a.token",
    }[mangle]()
    response = Client(stack.api_url, token).get("/staff/house")
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"
    assert Client(stack.api_url, house.token).get("/staff/house").status_code == 200


# ----------------------------------------------------------------------------------------- API keys
def test_a_house_admin_makes_scoped_api_keys_shown_once_and_revokes_them(stack, house, small_hall, signing_key):
    performance = house.performance(small_hall)
    made = house.admin.post("/staff/api-keys", {"name": "Website agenda", "scopes": ["catalog:read"]})
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["key"].startswith(f"pk.{house.id}.") and key["status"] == "active" and key["scopes"] == ["catalog:read"]
    listed = house.admin.get("/staff/api-keys").json()
    assert [k["id"] for k in listed["api_keys"]] == [key["id"]]
    assert key["key"] not in json.dumps(listed) and key["key"].split(".")[-1] not in json.dumps(listed)

    integration = Client(stack.api_url)
    integration.http.headers["X-Podium-Api-Key"] = key["key"]
    own = integration.get("/staff/performances")
    assert own.status_code == 200, own.text
    assert [p["id"] for p in own.json()["performances"]] == [performance["id"]]
    assert integration.get(f"/staff/performances/{performance['id']}").status_code == 200
    # outside its scope, and on routes that take no key at all
    for method, path in (
        ("GET", "/staff/reports/sales"),
        ("GET", "/staff/orders/o_none"),
        ("GET", "/staff/customers"),
        ("GET", "/staff/api-keys"),
        ("POST", "/staff/performances"),
        ("GET", "/staff/house"),
        ("GET", "/staff/houses"),
    ):
        refused = integration.request(method, path, json={} if method == "POST" else None)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", (path, refused.text)
    # a wrong secret for the same key id, or a made-up key: 401
    for text in (key["key"][:-4] + "AAAA", f"pk.{house.id}.0123456789abcdef.{'A7' * 21}A", "made-up-key-7Qp2x9"):
        forged = Client(stack.api_url)
        forged.http.headers["X-Podium-Api-Key"] = text
        assert forged.get("/staff/performances").status_code == 401
    # others cannot make or revoke keys
    box_office = Client(stack.api_url, house.token_for(Role.BOX_OFFICE))
    assert box_office.post("/staff/api-keys", {"name": "x", "scopes": ["orders:read"]}).status_code == 403
    other = HouseFixture(stack, signing_key)
    assert other.admin.delete(f"/staff/api-keys/{key['id']}").status_code == 404
    assert other.admin.get("/staff/api-keys").json()["api_keys"] == []
    assert integration.get("/staff/performances").status_code == 200
    # bad scopes are field errors, nothing made
    bad = house.admin.post("/staff/api-keys", {"name": "x", "scopes": ["orders:write"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "scopes"
    assert len(house.admin.get("/staff/api-keys").json()["api_keys"]) == 1

    revoked = house.admin.delete(f"/staff/api-keys/{key['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert integration.get("/staff/performances").status_code == 401
    assert house.admin.delete(f"/staff/api-keys/{key['id']}").json()["revoked_at"] == revoked.json()["revoked_at"]


# --------------------------------------------------------------------- key rotation, Cognito's JWKS
class JwksServer(LocalSite):
    """A user pool's issuer on 127.0.0.1: serves `/{pool}/.well-known/jwks.json` with RSA public keys."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        super().__init__(self._answer)
        self.issuer = f"http://127.0.0.1:{self.port}/eu-west-1_podiumtest"

    def _answer(self, path: str) -> Answer:
        if not path.endswith("/.well-known/jwks.json"):
            return 404, "application/json", b"{}"
        document = {
            "keys": [
                {
                    **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
                    "kid": kid,
                    "alg": "RS256",
                    "use": "sig",
                }
                for kid, key in self.keys.items()
            ]
        }
        return 200, "application/json", json.dumps(document).encode()

    def new_key(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]


COGNITO_CLIENT = "podiumstaffclient"


@pytest.fixture(scope="module")
def rotating(stack):
    """A gateway whose staff keyring is its own secret (read afresh on every call) and whose stage
    trusts a (local) Cognito user pool."""
    from scripts.embedded.stack import free_port

    manager = resources.client("secretsmanager", stack.moto.url)
    keyring = json.dumps({"current": "k1", "k1": secrets.token_urlsafe(48)})
    arn = manager.create_secret(Name=unique("podium-demo-rotating"), SecretString=keyring)["ARN"]
    jwks = JwksServer()
    port = free_port()
    # Its keyring is this test's own secret, not the template's: its calls stay out of the least-privilege record.
    process = stack.spawn_gateway(
        port,
        STAFF_TOKEN_SECRET_ARN=arn,
        STAFF_KEYS_MAX_AGE="0",
        UNKNOWN_KID_REFRESH_SECONDS="0",
        COGNITO_ISSUER=jwks.issuer,
        COGNITO_CLIENT_ID=COGNITO_CLIENT,
        PODIUM_ACCESS_LOG="",
    )
    yield {"url": f"http://{stack.host}:{port}", "arn": arn, "manager": manager, "keyring": keyring, "jwks": jwks}
    process.terminate()
    process.wait(timeout=10)
    jwks.stop()


def test_tokens_of_a_rotated_key_verify_until_that_key_is_removed(rotating, house):
    manager, arn, url = rotating["manager"], rotating["arn"], rotating["url"]
    first = rotating["keyring"]

    def house_with(keyring: str) -> int:
        return Client(url, issue_token(keyring, "admin", Role.HOUSE_ADMIN, house.id)).get("/staff/house").status_code

    old_token = issue_token(first, "admin", Role.HOUSE_ADMIN, house.id)
    assert jwt.get_unverified_header(old_token)["kid"] == "k1"
    assert Client(url, old_token).get("/staff/house").status_code == 200

    second = rotated_keyring(first, "k2", secrets.token_urlsafe(48))
    manager.put_secret_value(SecretId=arn, SecretString=second)
    new_token = issue_token(second, "admin", Role.HOUSE_ADMIN, house.id)
    assert jwt.get_unverified_header(new_token)["kid"] == "k2"
    assert Client(url, new_token).get("/staff/house").status_code == 200
    assert Client(url, old_token).get("/staff/house").status_code == 200  # the previous key still verifies

    third = rotated_keyring(second, "k3", secrets.token_urlsafe(48), drop=("k1",))
    manager.put_secret_value(SecretId=arn, SecretString=third)
    assert Client(url, old_token).get("/staff/house").status_code == 401  # its key is gone
    assert Client(url, new_token).get("/staff/house").status_code == 200
    assert house_with(third) == 200
    # a token naming a kid the keyring never had, signed with a real key of it: refused
    forged = json.loads(third)
    assert house_with(json.dumps({"current": "k9", "k9": forged["k3"]})) == 401


def hmac_signed(header: dict, claims: dict, secret: bytes) -> str:
    """A JWT signed by hand (PyJWT rightly refuses to use a PEM key as an HMAC secret)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return signing_input + "." + part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def cognito_token(key, kid: str, issuer: str, **overrides) -> str:
    now = int(time.time())
    claims = {
        "sub": "0b5f-staff",
        "aud": COGNITO_CLIENT,
        "iss": issuer,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "cognito:groups": ["box_office"],
        "email": "kassa@example.org",
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256", headers={"kid": kid})


def test_cognito_id_tokens_verify_through_the_pools_jwks(rotating, house):
    jwks, url = rotating["jwks"], rotating["url"]
    key = jwks.new_key("cognito-1")
    good = cognito_token(key, "cognito-1", jwks.issuer, **{"custom:house_id": house.id})
    response = Client(url, good).get("/staff/house")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == house.id
    # its role is its group: a box office may not write the catalog
    assert Client(url, good).post("/staff/productions", {"title": {"nl": "x"}, "genre": "x"}).status_code == 403

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "signed by another key under the pool's kid": cognito_token(
            stranger, "cognito-1", jwks.issuer, **{"custom:house_id": house.id}
        ),
        "a kid the pool does not publish": cognito_token(
            key, "cognito-9", jwks.issuer, **{"custom:house_id": house.id}
        ),
        "another app client": cognito_token(
            key, "cognito-1", jwks.issuer, aud="other-client", **{"custom:house_id": house.id}
        ),
        "another pool": cognito_token(key, "cognito-1", jwks.issuer + "x", **{"custom:house_id": house.id}),
        "an access token": cognito_token(
            key, "cognito-1", jwks.issuer, token_use="access", **{"custom:house_id": house.id}
        ),
        "two role groups": cognito_token(
            key, "cognito-1", jwks.issuer, **{"cognito:groups": ["scanner", "house_admin"], "custom:house_id": house.id}
        ),
        "expired": cognito_token(
            key, "cognito-1", jwks.issuer, exp=int(time.time()) - 5, **{"custom:house_id": house.id}
        ),
        # the pool's public key used as an HMAC secret (algorithm confusion)
        "HS256 with the pool's public key": hmac_signed(
            {"alg": "HS256", "typ": "JWT", "kid": "cognito-1"},
            {
                "sub": "x",
                "aud": COGNITO_CLIENT,
                "iss": jwks.issuer,
                "token_use": "id",
                "iat": int(time.time()),
                "exp": int(time.time()) + 600,
                "cognito:groups": ["house_admin"],
                "custom:house_id": house.id,
            },
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        ),
    }
    for reason, token in refused.items():
        response = Client(url, token).get("/staff/house")
        assert response.status_code == 401, f"{reason}: {response.status_code} {response.text}"
    # a box office user without a house is refused on house routes
    houseless = cognito_token(key, "cognito-1", jwks.issuer)
    assert Client(url, houseless).get("/staff/house").status_code == 403
    # Cognito's rotation: a new key published under a new kid is fetched when a token names it
    rotated = jwks.new_key("cognito-2")
    assert (
        Client(url, cognito_token(rotated, "cognito-2", jwks.issuer, **{"custom:house_id": house.id}))
        .get("/staff/house")
        .status_code
        == 200
    )
