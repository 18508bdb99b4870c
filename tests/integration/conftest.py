"""The embedded stack (moto server + Chalice local gateway), started once for the session.

Tests talk to it only over HTTP, like buyers and houses do. Each test builds its own house
and performances with unique ids, so tests never depend on each other's data.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import requests

from scripts.embedded import demo_seatmaps
from tests import personal_data

# The `stack` fixture lives in tests/conftest.py: integration and browser tests share one embedded stack.


@pytest.fixture(scope="session", autouse=True)
def nothing_personal_reaches_the_exchange_platform(stack):
    """Checked once the whole run is over: no buyer's name, e-mail or postcode in any payload the
    UiTwisselingsplatform stand-in received, accepted or not."""
    yield
    from .checkout_helpers import personal_data_in

    stack.consumers.wait_idle(15)
    for body in stack.uit.exchange.service.payloads():
        assert not personal_data_in(body), f"personal data reached the exchange platform: {body[:300]}"
    # nor any buyer the run sent, staff free text (a refund's reason) or credential it used
    found = [
        line
        for body in stack.uit.exchange.service.payloads()
        for line in personal_data.leaks_in(body, personal_data.buyers(), personal_data.private_texts())
    ]
    assert not found, "private data reached the exchange platform:\n" + "\n".join(line[:300] for line in found[:10])


@pytest.fixture(scope="session", autouse=True)
def every_email_carries_the_buyers_preferences_link(stack):
    """Checked once the whole run is over: every e-mail in the outbox (tickets, refunds, …) links the buyer
    to their consents, export and erasure."""
    yield
    outbox = stack.outbox.url
    for mail in requests.get(f"{outbox}/messages.json", timeout=30).json():
        html = requests.get(f"{outbox}/messages/{mail['id']}/html", timeout=30).text
        for token in PREFERENCES_TOKEN.findall(html):  # a buyer's credential: never in a log
            personal_data.register_private(token, "preferences token")
        raw = requests.get(f"{outbox}/messages/{mail['id']}/raw", timeout=30).text
        assert PREFERENCES_LINK.search(html), f"e-mail {mail['subject']!r} has no preferences link"
        assert PREFERENCES_LINK.search(raw.replace("=\n", "").replace("=\r\n", "").replace("=3D", "=")), mail["subject"]


@pytest.fixture(scope="session")
def quick_expiry(stack):
    """A second gateway on the same local AWS whose holds expire after 2 seconds."""
    from scripts.embedded.stack import free_port

    port = free_port()
    process = stack.spawn_gateway(port, HOLD_TTL_SECONDS="2")
    yield f"http://{stack.host}:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def quick_checkout(stack):
    """A gateway whose holds expire after 6 seconds and whose checkouts wait 3 seconds more for the payment
    (long enough for the workflow to price the cart on a loaded machine, short enough to wait for)."""
    from scripts.embedded.stack import free_port

    port = free_port()
    process = stack.spawn_gateway(port, HOLD_TTL_SECONDS="6", PAYMENT_GRACE_SECONDS="3")
    yield f"http://{stack.host}:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def signing_key(stack) -> str:
    return stack.secret_values["StaffTokenSecret"]


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# The link carries its token in the fragment, where no server or access log sees it.
PREFERENCES_LINK = re.compile(r"/p/preferences\?lang=(?:nl|fr|en)#t=[A-Za-z0-9_.-]+")
PREFERENCES_TOKEN = re.compile(r"/p/preferences\?[^#\s\"]*#t=([A-Za-z0-9_.~-]+)")
GIFT_CARD_CODE = re.compile(r"^GC-[A-Z0-9]{4}(?:-[A-Z0-9]{4})+$")
CREDENTIAL_HEADERS = {
    "authorization": "staff token",
    "x-podium-api-key": "API key",
    "x-podium-buyer-token": "preferences token",
    "x-podium-subscription-key": "subscription key",
}


def register_credentials(headers) -> None:
    """The credentials a request carries (staff token, API key, preferences token): never in a log."""
    for name, value in headers.items():
        kind = CREDENTIAL_HEADERS.get(name.lower())
        if kind and isinstance(value, str):
            personal_data.register_private(value.removeprefix("Bearer ").strip(), kind)


def register_answered_secrets(path: str, response: requests.Response) -> None:
    """Secrets an answer hands out: a new API key's secret, gift cards' codes."""
    if not ("/api-keys" in path or "gift-card" in path) or "json" not in response.headers.get("Content-Type", ""):
        return
    try:
        body = response.json()
    except ValueError:
        return
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if isinstance(value.get("key"), str) and value["key"].startswith("pk."):
                personal_data.register_private(value["key"], "API key")
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and GIFT_CARD_CODE.match(value):
            personal_data.register_private(value, "gift card code")


class Client:
    """A thin HTTP client for the stack: JSON in and out, optional bearer token and buyer session.
    Every buyer, free text and credential it sends, and every secret it is answered, is registered with
    `tests.personal_data`: none may be logged."""

    def __init__(self, base_url: str, token: str | None = None, session_token: str | None = None):
        self.base_url = base_url
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        if session_token:
            self.http.headers["X-Podium-Session"] = session_token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        personal_data.register_body(kwargs.get("json"))  # every buyer sent is checked against the logs
        personal_data.register_body(kwargs.get("data"))
        register_credentials({**self.http.headers, **(kwargs.get("headers") or {})})
        if "gift-card" in path and isinstance(kwargs.get("json"), dict):  # a card's code, to pay with
            personal_data.register_private(kwargs["json"].get("code"), "gift card code")
        response = self.http.request(method, self.base_url + path, **kwargs)
        register_answered_secrets(path, response)
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return (
            self.request("POST", path, json=body, **kwargs)
            if body is not None
            else self.request("POST", path, **kwargs)
        )

    def patch(self, path: str, body, **kwargs):
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


def buyer_session() -> str:
    return secrets.token_urlsafe(24)


class HouseFixture:
    """A fresh house of the cluster with an admin client, and builders for its catalog."""

    def __init__(self, stack, key: str):
        from chalicelib.web.auth import Role, issue_token

        self.stack = stack
        self.id = unique("house")
        coordinator = Client(stack.api_url, issue_token(key, "coordinator", Role.COORDINATOR, None))
        response = coordinator.post("/staff/houses", {"id": self.id, "name": f"Huis {self.id}"})
        assert response.status_code == 201, response.text
        self.token = issue_token(key, f"admin@{self.id}", Role.HOUSE_ADMIN, self.id)
        self.admin = Client(stack.api_url, self.token)
        self.key = key

    def token_for(self, role) -> str:
        from chalicelib.web.auth import issue_token

        return issue_token(self.key, f"{role.value}@{self.id}", role, self.id)

    def venue(self, seatmap: dict) -> str:
        venue_id = unique("venue")
        response = self.admin.post("/staff/venues", {"id": venue_id, "seatmap": seatmap})
        assert response.status_code == 201, response.text
        return venue_id

    def production(self) -> str:
        response = self.admin.post("/staff/productions", {"title": {"nl": "Testvoorstelling"}, "genre": "theater"})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def performance(self, seatmap: dict, status: str = "on_sale", **overrides) -> dict:
        venue_id = self.venue(seatmap)
        standing = bool(seatmap.get("standing"))
        categories = ["standing"] if standing else [c["code"] for c in seatmap["categories"]]
        now = datetime.now(UTC)
        body = {
            "production_id": self.production(),
            "venue_id": venue_id,
            "starts_at": (now + timedelta(days=7)).isoformat(),
            "sales_start": (now - timedelta(days=1)).isoformat(),
            "status": status,
            "tariffs": [
                {"code": "full", "name": {"nl": "Volle prijs"}, "prices": {category: 2000 for category in categories}}
            ],
        }
        body.update(overrides)
        response = self.admin.post("/staff/performances", body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def house(stack, signing_key) -> HouseFixture:
    return HouseFixture(stack, signing_key)


@pytest.fixture
def public(stack) -> Client:
    return Client(stack.api_url)


@pytest.fixture
def buyer(stack) -> Client:
    return Client(stack.api_url, session_token=buyer_session())


@pytest.fixture
def small_hall() -> dict:
    return demo_seatmaps.test_hall(10, 10)
