"""Local stand-ins for publiq and the UiTwisselingsplatform, served over real HTTP.

* `AuthServer`: publiq's client-credentials token endpoint
  (`POST /realms/uitid/protocol/openid-connect/token`), opaque tokens with `expires_in`.
* `UitdatabankServer`: the part of the Entry API 3.0 Podium uses: `POST /events`, `GET
  /events/{id}`, `PUT /events/{id}/booking-availability`, `PATCH /events/{id}/sub-events`.
* `UitpasServer`: UiTPAS API 4.0 `GET /passes`, `GET /tariffs`, `GET /tariffs/static`,
  `POST /ticket-sales`, `DELETE /ticket-sales/{id}`, with test passes like publiq's public test
  data (active, expired and blocked social tariff, and none; one pass limited to one ticket per event).
* `ExchangeServer`: a receiver of Podium's JSON-LD transactions (docs/exchange-mapping.md) that
  validates their shape and refuses anything else; it keeps every document it got.

Errors are RFC 7807 problems as publiq answers them (`https://api.publiq.be/probs/...`). Every
server takes failure injection (an answer of 500/503/429 with `Retry-After`, or a slow answer)
through `inject(...)` or `POST /_control/faults`, and tells tests what it received
(`requests`, `GET /_control/requests`). State is in memory, behind one lock per server.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .serving import BackgroundServer, serve_in_background

PROBS = "https://api.publiq.be/probs"


class Problem(Exception):
    """An RFC 7807 answer."""

    def __init__(self, status: int, type_: str, title: str, detail: str | None = None, **extra: Any):
        super().__init__(detail or title)
        self.status, self.body = status, {"type": type_, "title": title, "status": status, **extra}
        if detail:
            self.body["detail"] = detail


def invalid_data(detail: str, **extra) -> Problem:
    return Problem(400, f"{PROBS}/body/invalid-data", "Invalid body data", detail, **extra)


def not_found(detail: str) -> Problem:
    return Problem(404, f"{PROBS}/url/not-found", "Not Found", detail)


def unauthorized(detail: str = "The given token is not valid or has expired.") -> Problem:
    return Problem(401, f"{PROBS}/auth/unauthorized", "Unauthorized", detail)


@dataclass
class Fault:
    """The next `count` requests under `path_prefix` fail: `status` after `delay` seconds (not executed);
    with `status=None` they are executed but answered `delay` seconds late (a client time-out)."""

    path_prefix: str
    status: int | None = 500
    remaining: int = 1
    delay: float = 0.0
    retry_after: float | None = None
    method: str | None = None
    body_contains: str | None = None

    def matches(self, method: str, path: str, body: str) -> bool:
        return (
            self.remaining > 0
            and path.startswith(self.path_prefix)
            and self.method in (None, method)
            and (self.body_contains is None or self.body_contains in body)
        )


@dataclass(frozen=True)
class Received:
    """One request as a server saw it (tests read these)."""

    method: str
    path: str
    query: str
    status: int
    body: str
    at: float
    fault: bool
    authorization: str | None


def json_response(
    status: int, body: Any = None, content_type: str = "application/json", headers: dict | None = None
) -> Response:
    data = "" if body is None else json.dumps(body, indent=2, ensure_ascii=False)
    return Response(data, status=status, content_type=content_type, headers=headers or {})


class StandIn:
    """What every local server shares: routes, a lock, injected faults, the record of requests."""

    name = "stand-in"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.requests: list[Received] = []
        self.routes = Map(
            self.rules()
            + [
                Rule("/_control/faults", methods=["POST", "DELETE"], endpoint="control_faults"),
                Rule("/_control/requests", methods=["GET"], endpoint="control_requests"),
            ],
            strict_slashes=False,
        )

    def rules(self) -> list[Rule]:
        raise NotImplementedError

    # -- controls -----------------------------------------------------------------------------
    def inject(
        self,
        path_prefix: str,
        status: int | None = 500,
        count: int = 1,
        *,
        delay: float = 0.0,
        retry_after: float | None = None,
        method: str | None = None,
        body_contains: str | None = None,
    ) -> Fault:
        with self.lock:
            fault = Fault(
                path_prefix, status, count, delay, retry_after, method.upper() if method else None, body_contains
            )
            self.faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def received(self, path_prefix: str = "", method: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix) and method in (None, r.method)]

    def _take_fault(self, method: str, path: str, body: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, body):
                    fault.remaining -= 1
                    return fault
        return None

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(as_text=True)
        fault = None if request.path.startswith("/_control") else self._take_fault(request.method, request.path, body)
        if fault is not None and fault.status is not None:
            time.sleep(fault.delay)
            response = self.fault_response(fault)
        else:
            response = self.dispatch(request, body)
            if fault is not None:
                time.sleep(fault.delay)
        if not request.path.startswith("/_control"):
            with self.lock:
                self.requests.append(
                    Received(
                        request.method,
                        request.path,
                        request.query_string.decode(),
                        response.status_code,
                        body,
                        time.time(),
                        fault is not None,
                        request.headers.get("Authorization"),
                    )
                )
        return response(environ, start_response)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        if status == 429:
            problem = Problem(
                429,
                f"{PROBS}/too-many-requests",
                "Too Many Requests",
                "Rate limit exceeded (injected by Podium's local stand-in).",
            )
        else:
            problem = Problem(
                status,
                f"{PROBS}/internal-error",
                "Internal Server Error",
                "Injected failure (Podium's local stand-in).",
            )
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        return json_response(status, problem.body, "application/problem+json", headers)

    def dispatch(self, request: Request, body: str) -> Response:
        adapter = self.routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as error:
            if error.code == 405:
                return json_response(
                    405,
                    Problem(405, f"{PROBS}/method-not-allowed", "Method Not Allowed").body,
                    "application/problem+json",
                )
            return json_response(
                404, not_found(f"No route for {request.method} {request.path}").body, "application/problem+json"
            )
        with self.lock:
            try:
                if endpoint.startswith("control_"):
                    return self.control(endpoint, request, body, args)
                return getattr(self, endpoint)(request, body, **args)
            except Problem as problem:
                return json_response(problem.status, problem.body, "application/problem+json")

    def control(self, endpoint: str, request: Request, body: str, args: dict) -> Response:
        document = json.loads(body) if body else {}
        if endpoint == "control_faults":
            if request.method == "DELETE":
                self.faults.clear()
                return json_response(200, {"faults": []})
            fault = self.inject(
                document["path_prefix"],
                document.get("status", 500),
                int(document.get("count", 1)),
                delay=float(document.get("delay", 0)),
                retry_after=document.get("retry_after"),
                method=document.get("method"),
                body_contains=document.get("body_contains"),
            )
            return json_response(200, {"fault": asdict(fault)})
        if endpoint == "control_requests":
            return json_response(200, {"data": [asdict(r) for r in self.requests]})
        return self.extra_control(endpoint, request, document, args)

    def extra_control(self, endpoint: str, request: Request, document: dict, args: dict) -> Response:
        return json_response(404, not_found(endpoint).body, "application/problem+json")

    @staticmethod
    def json_body(body: str) -> Any:
        if not body.strip():
            raise Problem(400, f"{PROBS}/body/missing", "Body missing")
        try:
            return json.loads(body)
        except ValueError as error:
            raise Problem(400, f"{PROBS}/body/invalid-syntax", "Invalid body syntax", str(error)) from None


# --------------------------------------------------------------------------------------------
# publiq authentication
# --------------------------------------------------------------------------------------------
class AuthServer(StandIn):
    """`POST /realms/uitid/protocol/openid-connect/token` (client credentials), Keycloak's answers."""

    name = "publiq-auth"

    def __init__(self, token_seconds: int = 3600) -> None:
        self.clients: dict[str, str] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # token → (client id, expiry epoch)
        self.token_seconds = token_seconds
        super().__init__()

    def rules(self) -> list[Rule]:
        return [
            Rule("/realms/uitid/protocol/openid-connect/token", methods=["POST"], endpoint="token"),
            Rule("/_control/revoke", methods=["POST"], endpoint="control_revoke"),
            Rule("/_control/clients", methods=["POST"], endpoint="control_clients"),
        ]

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self.lock:
            self.clients[client_id] = client_secret

    def valid(self, token: str | None) -> str | None:
        """The client a bearer token was issued to, if it is valid now."""
        with self.lock:
            entry = self.tokens.get(token or "")
            return entry[0] if entry and entry[1] > time.time() else None

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    def token(self, request: Request, body: str) -> Response:
        if not request.content_type or not request.content_type.startswith("application/x-www-form-urlencoded"):
            return self.oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        form = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            return self.oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or self.clients.get(client_id) != client_secret:
            return self.oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (client_id, time.time() + self.token_seconds)
        return json_response(
            200,
            {
                "access_token": token,
                "expires_in": self.token_seconds,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            },
        )

    @staticmethod
    def oauth_error(status: int, error: str, description: str) -> Response:
        return json_response(status, {"error": error, "error_description": description})

    def extra_control(self, endpoint, request, document, args) -> Response:
        if endpoint == "control_revoke":
            self.revoke_all()
            return json_response(200, {"revoked": True})
        self.add_client(document["client_id"], document["client_secret"])
        return json_response(200, {"client_id": document["client_id"]})


class PubliqApi(StandIn):
    """An API behind publiq's tokens."""

    def __init__(self, auth: AuthServer) -> None:
        self.auth = auth
        super().__init__()

    def authorize(self, request: Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        client = self.auth.valid(token) if scheme.lower() == "bearer" else None
        if client is None:
            raise unauthorized()
        return client


# --------------------------------------------------------------------------------------------
# UiTdatabank
# --------------------------------------------------------------------------------------------
CALENDAR_TYPES = ("single", "multiple", "periodic", "permanent")
AVAILABILITY = ("Available", "Unavailable")


class UitdatabankServer(PubliqApi):
    name = "uitdatabank"

    def __init__(self, auth: AuthServer) -> None:
        self.events: dict[str, dict] = {}
        super().__init__(auth)

    def rules(self) -> list[Rule]:
        return [
            Rule("/events", methods=["POST"], endpoint="create_event"),
            Rule("/events/<event_id>", methods=["GET"], endpoint="get_event"),
            Rule("/events/<event_id>/booking-availability", methods=["PUT"], endpoint="put_availability"),
            Rule("/events/<event_id>/bookingAvailability", methods=["PUT"], endpoint="put_availability"),
            Rule("/events/<event_id>/sub-events", methods=["PATCH"], endpoint="patch_sub_events"),
            Rule("/events/<event_id>/subEvents", methods=["PATCH"], endpoint="patch_sub_events"),
            Rule("/_control/events", methods=["POST"], endpoint="control_create_event"),
            Rule("/_control/events/<event_id>", methods=["GET"], endpoint="control_event"),
        ]

    def add_event(self, document: dict, event_id: str | None = None) -> str:
        """Validate an event as `POST /events` does and store it; its id."""
        if not isinstance(document, dict):
            raise invalid_data("The body must be a JSON object.")
        errors = []
        language = document.get("mainLanguage")
        if language not in ("nl", "fr", "de", "en"):
            errors.append({"jsonPointer": "/mainLanguage", "error": "Required; one of nl, fr, de, en."})
        name = document.get("name")
        if not isinstance(name, dict) or not name.get(language or "nl"):
            errors.append({"jsonPointer": "/name", "error": "A name in the main language is required."})
        location = document.get("location")
        if not isinstance(location, dict) or "/places/" not in str(location.get("@id", "")):
            errors.append({"jsonPointer": "/location", "error": 'Required: {"@id": ".../places/{uuid}"}.'})
        if not isinstance(document.get("terms"), list) or not document["terms"]:
            errors.append({"jsonPointer": "/terms", "error": "At least one event type term is required."})
        calendar = document.get("calendarType")
        if calendar not in CALENDAR_TYPES:
            errors.append({"jsonPointer": "/calendarType", "error": f"One of {', '.join(CALENDAR_TYPES)}."})
        sub_events = document.get("subEvent", [])
        if calendar in ("single", "multiple"):
            if not isinstance(sub_events, list) or not sub_events or (calendar == "single" and len(sub_events) != 1):
                errors.append({"jsonPointer": "/subEvent", "error": "Dates are required for this calendar type."})
            else:
                for index, sub in enumerate(sub_events):
                    for key in ("startDate", "endDate"):
                        if not isinstance(sub, dict) or not _iso(sub.get(key)):
                            errors.append({"jsonPointer": f"/subEvent/{index}/{key}", "error": "An ISO-8601 date."})
        if errors:
            raise invalid_data("The event is not valid.", schemaErrors=errors)
        event_id = event_id or str(uuid.uuid4())
        stored = copy.deepcopy(document)
        stored["@id"] = f"https://io-test.uitdatabank.be/event/{event_id}"
        stored.setdefault("bookingAvailability", {"type": "Available"})
        for sub in stored.get("subEvent", []):
            sub.setdefault("bookingAvailability", {"type": "Available"})
            sub.setdefault("status", {"type": "Available"})
        self.events[event_id] = stored
        return event_id

    def event(self, event_id: str) -> dict:
        if event_id not in self.events:
            raise not_found(f"Event with id '{event_id}' was not found.")
        return self.events[event_id]

    def create_event(self, request: Request, body: str) -> Response:
        self.authorize(request)
        event_id = self.add_event(self.json_body(body))
        return json_response(
            201, {"id": event_id, "eventId": event_id, "url": f"https://io-test.uitdatabank.be/event/{event_id}"}
        )

    def get_event(self, request: Request, body: str, event_id: str) -> Response:
        self.authorize(request)
        return json_response(200, self.event(event_id), "application/ld+json")

    def put_availability(self, request: Request, body: str, event_id: str) -> Response:
        self.authorize(request)
        document, event = self.json_body(body), self.event(event_id)
        if not isinstance(document, dict) or document.get("type") not in AVAILABILITY:
            raise invalid_data("type must be Available or Unavailable.")
        self._calendar_allows(event)
        event["bookingAvailability"] = {"type": document["type"]}
        for sub in event.get("subEvent", []):
            sub["bookingAvailability"] = {"type": document["type"]}
        return Response(status=204)

    def patch_sub_events(self, request: Request, body: str, event_id: str) -> Response:
        self.authorize(request)
        document, event = self.json_body(body), self.event(event_id)
        self._calendar_allows(event)
        if not isinstance(document, list) or not document:
            raise invalid_data("The body must be a non-empty array of sub-event changes.")
        subs = event.get("subEvent", [])
        changes = []
        for index, change in enumerate(document):
            if not isinstance(change, dict) or not isinstance(change.get("id"), int) or isinstance(change["id"], bool):
                raise invalid_data(
                    f"Item {index} needs an integer id (the sub-event's index).", jsonPointer=f"/{index}/id"
                )
            if not 0 <= change["id"] < len(subs):
                raise invalid_data(f"Sub-event {change['id']} does not exist.", jsonPointer=f"/{index}/id")
            unknown = set(change) - {"id", "bookingAvailability", "remainingCapacity", "status", "startDate", "endDate"}
            if unknown:
                raise invalid_data(f"Unknown properties: {sorted(unknown)}.", jsonPointer=f"/{index}")
            availability = change.get("bookingAvailability")
            if availability is not None and (
                not isinstance(availability, dict) or availability.get("type") not in AVAILABILITY
            ):
                raise invalid_data(
                    "bookingAvailability.type must be Available or Unavailable.",
                    jsonPointer=f"/{index}/bookingAvailability/type",
                )
            changes.append(change)
        for change in changes:  # all or nothing
            sub = subs[change["id"]]
            if "bookingAvailability" in change:
                sub["bookingAvailability"] = {"type": change["bookingAvailability"]["type"]}
            if "remainingCapacity" in change:
                sub.setdefault("bookingInfo", {})["remainingCapacity"] = change["remainingCapacity"]
        kinds = {sub["bookingAvailability"]["type"] for sub in subs}
        event["bookingAvailability"] = {"type": "Available" if "Available" in kinds else "Unavailable"}
        return Response(status=204)

    @staticmethod
    def _calendar_allows(event: dict) -> None:
        if event.get("calendarType") in ("periodic", "permanent"):
            raise Problem(
                400,
                f"{PROBS}/uitdatabank/calendar-type-not-supported",
                "Calendar type not supported",
                f'Updating booking availability on calendar type: "{event["calendarType"].upper()}" is '
                "not supported. Only single and multiple calendar types can be updated.",
            )

    def extra_control(self, endpoint, request, document, args) -> Response:
        if endpoint == "control_create_event":
            event_id = self.add_event(document.get("event", document), document.get("id"))
            return json_response(201, {"id": event_id})
        return json_response(200, self.event(args["event_id"]))

    def sub_event_availability(self, event_id: str, index: int) -> str:
        with self.lock:
            return self.events[event_id]["subEvent"][index]["bookingAvailability"]["type"]


def _iso(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def sample_event(dates: int = 3, start: str = "2027-03-01T20:00:00+01:00") -> dict:
    """A `multiple` calendar event with `dates` evenings, as a house would have entered it."""
    base = datetime.fromisoformat(start)
    return {
        "mainLanguage": "nl",
        "name": {"nl": "Testvoorstelling"},
        "calendarType": "multiple",
        "location": {"@id": "https://io-test.uitdatabank.be/places/" + str(uuid.uuid4())},
        "terms": [{"id": "0.55.0.0.0"}],
        "subEvent": [
            {
                "startDate": base.replace(day=base.day + i).isoformat(),
                "endDate": base.replace(day=base.day + i, hour=22).isoformat(),
            }
            for i in range(dates)
        ],
        "priceInfo": [{"category": "base", "name": {"nl": "Basistarief"}, "price": 20, "priceCurrency": "EUR"}],
    }


# --------------------------------------------------------------------------------------------
# UiTPAS
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestPass:
    uitpas_number: str
    social_tariff: str  # ACTIVE | EXPIRED | NONE
    blocked: bool = False
    postal_code: str = "9000"
    limit: int = 10  # social-tariff tickets per event (UiTPAS reports what is left as `remaining`)


# Like publiq's public test data: passes with an active, an expired and a blocked social tariff, and none.
TEST_PASSES = {
    p.uitpas_number: p
    for p in [
        TestPass("0900000095902", "ACTIVE"),
        TestPass("0900000058918", "EXPIRED"),
        TestPass("0900000031618", "ACTIVE", blocked=True),
        TestPass("0900000067513", "NONE"),
        TestPass("0900000046312", "ACTIVE", limit=1),
    ]
}
SOCIAL_SHARE = Decimal("0.25")


class UitpasServer(PubliqApi):
    name = "uitpas"

    def __init__(self, auth: AuthServer, uitdatabank: UitdatabankServer | None = None) -> None:
        self.uitdatabank = uitdatabank
        self.events: set[str] = set()  # UiTPAS events besides UiTdatabank's
        self.ticket_sales: dict[str, dict] = {}
        super().__init__(auth)

    def rules(self) -> list[Rule]:
        return [
            Rule("/passes", methods=["GET"], endpoint="passes"),
            Rule("/tariffs", methods=["GET"], endpoint="tariffs"),
            Rule("/tariffs/static", methods=["GET"], endpoint="static_tariffs"),
            Rule("/ticket-sales", methods=["POST"], endpoint="register"),
            Rule("/ticket-sales/<sale_id>", methods=["DELETE"], endpoint="cancel"),
            Rule("/_control/ticket-sales", methods=["GET"], endpoint="control_sales"),
            Rule("/_control/events", methods=["POST"], endpoint="control_events"),
        ]

    def known_event(self, event_id: str) -> bool:
        return event_id in self.events or bool(self.uitdatabank and event_id in self.uitdatabank.events)

    def _event(self, event_id: str | None) -> str:
        if not event_id or not self.known_event(event_id):
            raise not_found(f"Event with id '{event_id}' was not found in UiTPAS. Are you sure it is an UiTPAS event?")
        return event_id

    @staticmethod
    def _pass(number: str | None) -> TestPass:
        found = TEST_PASSES.get(number or "")
        if found is None:
            raise not_found(f"UiTPAS with identification '{number}' was not found.")
        return found

    @staticmethod
    def _price(value: Any, pointer: str) -> Decimal:
        try:
            price = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise invalid_data(f"{pointer} must be a number in euros.", jsonPointer=pointer) from None
        if price < 0 or price.as_tuple().exponent < -2:
            raise invalid_data(f"{pointer} must be a positive amount with at most two decimals.", jsonPointer=pointer)
        return price

    def passes(self, request: Request, body: str) -> Response:
        self.authorize(request)
        card = self._pass(request.args.get("identification"))
        messages = [{"level": "WARNING", "text": "Deze UiTPAS is geblokkeerd."}] if card.blocked else []
        social = {"status": card.social_tariff}
        if card.social_tariff != "NONE":
            social["endDate"] = "2027-12-31" if card.social_tariff == "ACTIVE" else "2024-12-31"
        return json_response(
            200,
            {
                "uitpasNumber": card.uitpas_number,
                "passType": "UITPAS",
                "postalCode": card.postal_code,
                "socialTariff": social,
                "messages": messages,
                "blocked": card.blocked,
            },
        )

    def _social_tariff(self, regular: Decimal, remaining: int = 10) -> dict:
        price = (regular * SOCIAL_SHARE).quantize(Decimal("0.01"))
        return {
            "id": "kansentarief",
            "name": "Kansentarief",
            "price": float(price),
            "type": "SOCIALTARIFF",
            "remaining": remaining,
        }

    def _remaining(self, card: TestPass, event_id: str) -> int:
        used = sum(
            1
            for sale in self.ticket_sales.values()
            if sale["uitpasNumber"] == card.uitpas_number
            and sale["eventId"] == event_id
            and sale["status"] == "REGISTERED"
        )
        return max(0, card.limit - used)

    def tariffs(self, request: Request, body: str) -> Response:
        self.authorize(request)
        event_id = self._event(request.args.get("eventId"))
        regular = self._price(request.args.get("regularPrice"), "regularPrice")
        card = self._pass(request.args.get("uitpasNumber"))
        if card.blocked:
            raise Problem(
                400,
                f"{PROBS}/uitpas/uitpas-blocked",
                "UiTPAS blocked",
                "The UiTPAS is blocked.",
                endUserMessage={"nl": "Deze UiTPAS is geblokkeerd. Neem contact op met de UiTPAS-balie."},
            )
        if card.social_tariff == "EXPIRED":
            raise Problem(
                400,
                f"{PROBS}/uitpas/social-tariff-expired",
                "Social tariff expired",
                "The social tariff of this pass has expired.",
                endUserMessage={"nl": "Je kansentarief is verlopen. Verleng het bij de UiTPAS-balie."},
            )
        if card.social_tariff == "NONE":
            return json_response(
                200,
                {
                    "available": [],
                    "endUserMessage": {"nl": "Met deze UiTPAS heb je geen recht op kansentarief voor dit evenement."},
                },
            )
        remaining = self._remaining(card, event_id)
        if remaining == 0:
            return json_response(
                200,
                {
                    "available": [],
                    "endUserMessage": {
                        "nl": "Je hebt het maximum aantal tickets met kansentarief voor dit evenement bereikt."
                    },
                },
            )
        return json_response(200, {"available": [self._social_tariff(regular, remaining)]})

    def static_tariffs(self, request: Request, body: str) -> Response:
        self.authorize(request)
        self._event(request.args.get("eventId"))
        return json_response(
            200, {"available": [self._social_tariff(self._price(request.args.get("regularPrice"), "regularPrice"))]}
        )

    def register(self, request: Request, body: str) -> Response:
        self.authorize(request)
        document = self.json_body(body)
        if not isinstance(document, list) or not document:
            raise invalid_data("The body must be a non-empty array of ticket sales.")
        sales = []
        for index, item in enumerate(document):  # all or nothing: everything is checked first
            if not isinstance(item, dict):
                raise invalid_data(f"Item {index} must be an object.", jsonPointer=f"/{index}")
            unknown = set(item) - {"regularPrice", "tariff", "eventId", "uitpasNumber"}
            if unknown:
                raise invalid_data(f"Unknown properties: {sorted(unknown)}.", jsonPointer=f"/{index}")
            regular = self._price(item.get("regularPrice"), f"/{index}/regularPrice")
            tariff = item.get("tariff")
            if not isinstance(tariff, dict) or tariff.get("id") != "kansentarief":
                raise invalid_data("Unknown tariff.", jsonPointer=f"/{index}/tariff/id")
            event_id = self._event(item.get("eventId"))
            card = self._pass(item.get("uitpasNumber"))
            if card.blocked or card.social_tariff != "ACTIVE":
                raise Problem(
                    400,
                    f"{PROBS}/uitpas/tariff-not-allowed",
                    "Tariff not allowed",
                    f"Pass {card.uitpas_number} cannot use this tariff.",
                    jsonPointer=f"/{index}",
                )
            sales.append(
                {
                    "id": "ts-" + secrets.token_hex(8),
                    "regularPrice": float(regular),
                    "tariff": {"id": "kansentarief", "price": self._social_tariff(regular)["price"]},
                    "eventId": event_id,
                    "uitpasNumber": card.uitpas_number,
                    "status": "REGISTERED",
                }
            )
        wanted: dict[tuple[str, str], int] = {}
        for index, sale in enumerate(sales):
            key = (sale["uitpasNumber"], sale["eventId"])
            wanted[key] = wanted.get(key, 0) + 1
            if wanted[key] > self._remaining(TEST_PASSES[key[0]], key[1]):
                raise Problem(
                    400,
                    f"{PROBS}/uitpas/maximum-reached",
                    "Maximum reached",
                    "The pass has no social-tariff tickets left for this event.",
                    jsonPointer=f"/{index}",
                )
        for sale in sales:
            self.ticket_sales[sale["id"]] = sale
        return json_response(200, sales)

    def cancel(self, request: Request, body: str, sale_id: str) -> Response:
        self.authorize(request)
        sale = self.ticket_sales.get(sale_id)
        if sale is None or sale["status"] == "CANCELLED":
            raise not_found(f"Ticket sale with id '{sale_id}' was not found.")
        sale["status"] = "CANCELLED"
        return Response(status=204)

    def extra_control(self, endpoint, request, document, args) -> Response:
        if endpoint == "control_events":
            self.events.add(document["eventId"])
            return json_response(200, {"eventId": document["eventId"]})
        return json_response(200, {"data": list(copy.deepcopy(self.ticket_sales).values())})


# --------------------------------------------------------------------------------------------
# UiTwisselingsplatform receiver
# --------------------------------------------------------------------------------------------
NODE_TYPES = {"cp:Ticketverkoop": "sale", "cp:Terugbetaling": "refund", "cp:Aanwezigheid": "check_in"}
REQUIRED = {"@id", "@type", "tijdstip", "voorstelling", "organisator", "tariefcategorie", "aantal"}
ALLOWED = REQUIRED | {
    "productie",
    "verkoper",
    "prijscategorie",
    "prijs",
    "munteenheid",
    "deelnemer",
    "postcodegebied",
    "betreft",
    "reden",
}
URN = re.compile(r"^urn:podium:[a-z0-9-]+:[a-z]+:[A-Za-z0-9_:.-]+$")
PSEUDONYM = re.compile(r"^urn:podium:deelnemer:[0-9a-f]{40}$")
EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# A refund's reason is a code of the mapping (docs/exchange-mapping.md), never free text.
REASON_CODES = {
    "customer_request",
    "performance_cancelled",
    "performance_changed",
    "duplicate",
    "fraud",
    "goodwill",
    "other",
}


class ExchangeServer(StandIn):
    """Receives transactions, validates their shape and keeps each once (by `@id`)."""

    name = "exchange"

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.documents: list[dict] = []  # every accepted document, as received
        self.nodes: dict[str, dict] = {}  # @id → the node (first copy)
        self.received_at: dict[str, float] = {}
        self.duplicates = 0
        super().__init__()

    def rules(self) -> list[Rule]:
        return [
            Rule("/transactions", methods=["POST"], endpoint="receive"),
            Rule("/_control/transactions", methods=["GET"], endpoint="control_transactions"),
            Rule("/_control/sales/<path:sale_id>", methods=["GET"], endpoint="control_sale"),
        ]

    def receive(self, request: Request, body: str) -> Response:
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            raise unauthorized("A valid API key is required.")
        if request.mimetype not in ("application/ld+json", "application/json"):
            raise Problem(
                415, f"{PROBS}/body/unsupported-media-type", "Unsupported media type", "Send application/ld+json."
            )
        document = self.json_body(body)
        errors = validate_document(document)
        if errors:
            raise invalid_data("The document does not follow Podium's exchange mapping.", schemaErrors=errors)
        now = time.time()
        fresh = 0
        for node in document["@graph"]:
            if node["@id"] in self.nodes:
                self.duplicates += 1
                continue
            self.nodes[node["@id"]] = node
            self.received_at[node["@id"]] = now
            fresh += 1
        self.documents.append(document)
        return json_response(202, {"accepted": fresh, "duplicates": len(document["@graph"]) - fresh})

    def sale_state(self, sale_id: str) -> dict:
        """A sale as the platform sees it, whatever order its sale and refunds arrived in."""
        with self.lock:
            sale = self.nodes.get(sale_id)
            refunds = [
                n for n in self.nodes.values() if n["@type"] == "cp:Terugbetaling" and n.get("betreft") == sale_id
            ]
            check_ins = [
                n for n in self.nodes.values() if n["@type"] == "cp:Aanwezigheid" and n.get("betreft") == sale_id
            ]
        quantity = (sale["aantal"] if sale else 0) + sum(r["aantal"] for r in refunds)
        amount = (Decimal(sale["prijs"]) if sale else Decimal(0)) + sum(Decimal(r["prijs"]) for r in refunds)
        state = (
            "refund_awaiting_sale" if refunds and not sale else "refunded" if refunds else "sold" if sale else "unknown"
        )
        return {
            "sale": sale,
            "refunds": refunds,
            "check_ins": check_ins,
            "quantity": quantity,
            "amount": str(amount),
            "state": state,
        }

    def extra_control(self, endpoint, request, document, args) -> Response:
        if endpoint == "control_sale":
            return json_response(200, self.sale_state(args["sale_id"]))
        return json_response(
            200, {"data": list(self.nodes.values()), "documents": len(self.documents), "duplicates": self.duplicates}
        )

    def payloads(self) -> list[str]:
        """Every request body this receiver got, accepted or not (for privacy checks)."""
        with self.lock:
            return [r.body for r in self.requests if r.path == "/transactions"]


def validate_document(document: Any) -> list[dict]:
    """What is wrong with a transaction document (empty when nothing is)."""
    from chalicelib.domain.exchange import CONTEXT

    if not isinstance(document, dict):
        return [{"jsonPointer": "", "error": "A JSON-LD object is required."}]
    errors = []
    if document.get("@context") != CONTEXT:
        errors.append({"jsonPointer": "/@context", "error": "The context must be Podium's exchange context."})
    if set(document) - {"@context", "@id", "@graph"}:
        errors.append(
            {"jsonPointer": "", "error": f"Unknown keys {sorted(set(document) - {'@context', '@id', '@graph'})}."}
        )
    if not URN.match(str(document.get("@id", ""))):
        errors.append({"jsonPointer": "/@id", "error": "A urn:podium: identifier is required."})
    graph = document.get("@graph")
    if not isinstance(graph, list) or not graph:
        return errors + [{"jsonPointer": "/@graph", "error": "At least one transaction is required."}]
    for index, node in enumerate(graph):
        pointer = f"/@graph/{index}"
        if not isinstance(node, dict):
            errors.append({"jsonPointer": pointer, "error": "A transaction must be an object."})
            continue
        missing, unknown = REQUIRED - set(node), set(node) - ALLOWED
        if missing:
            errors.append({"jsonPointer": pointer, "error": f"Missing {sorted(missing)}."})
        if unknown:
            errors.append({"jsonPointer": pointer, "error": f"Not part of the mapping: {sorted(unknown)}."})
        kind = NODE_TYPES.get(node.get("@type"))
        if kind is None:
            errors.append({"jsonPointer": f"{pointer}/@type", "error": f"One of {sorted(NODE_TYPES)}."})
        for key in ("@id", "voorstelling", "organisator", "productie", "verkoper", "betreft"):
            if key in node and not URN.match(str(node[key])):
                errors.append({"jsonPointer": f"{pointer}/{key}", "error": "A urn:podium: identifier."})
        if "deelnemer" in node and not PSEUDONYM.match(str(node["deelnemer"])):
            errors.append(
                {"jsonPointer": f"{pointer}/deelnemer", "error": "Only a pseudonym (urn:podium:deelnemer:…)."}
            )
        if "postcodegebied" in node and not re.fullmatch(r"\d{2}", str(node["postcodegebied"])):
            errors.append({"jsonPointer": f"{pointer}/postcodegebied", "error": "Two digits of a postcode at most."})
        if not _iso(node.get("tijdstip")):
            errors.append({"jsonPointer": f"{pointer}/tijdstip", "error": "An ISO-8601 date-time."})
        if kind in ("sale", "refund"):
            try:
                Decimal(str(node.get("prijs")))
            except InvalidOperation:
                errors.append({"jsonPointer": f"{pointer}/prijs", "error": "A decimal amount."})
            if not isinstance(node.get("munteenheid"), str):
                errors.append({"jsonPointer": f"{pointer}/munteenheid", "error": "An ISO 4217 currency."})
        if "reden" in node and node["reden"] not in REASON_CODES:
            errors.append({"jsonPointer": f"{pointer}/reden", "error": f"One of {sorted(REASON_CODES)}."})
        if kind in ("refund", "check_in") and "betreft" not in node:
            errors.append({"jsonPointer": f"{pointer}/betreft", "error": "The sale it is about."})
        if not isinstance(node.get("aantal"), int):
            errors.append({"jsonPointer": f"{pointer}/aantal", "error": "An integer."})
        for key, value in node.items():
            if isinstance(value, str) and EMAIL_LIKE.search(value):
                errors.append({"jsonPointer": f"{pointer}/{key}", "error": "Looks like an e-mail address."})
    return errors


# --------------------------------------------------------------------------------------------
# Running them
# --------------------------------------------------------------------------------------------
@dataclass
class StandInHandle(BackgroundServer):
    service: Any = field(repr=False, default=None)


@dataclass
class UitServers:
    auth: StandInHandle
    uitdatabank: StandInHandle
    uitpas: StandInHandle
    exchange: StandInHandle

    def all(self) -> list[StandInHandle]:
        return [self.auth, self.uitdatabank, self.uitpas, self.exchange]

    def stop(self) -> None:
        for handle in self.all():
            handle.stop()


def _serve(app: StandIn, host: str, port: int = 0) -> StandInHandle:
    server, thread = serve_in_background(app, host, port, app.name, poll_interval=0.05)
    return StandInHandle(host, server.server_port, server, thread, app)


def start_uit_servers(
    host: str = "127.0.0.1",
    *,
    client_id: str,
    client_secret: str,
    exchange_api_key: str | None = None,
    token_seconds: int = 3600,
) -> UitServers:
    """publiq auth, UiTdatabank, UiTPAS and the exchange receiver, each on a free port."""
    auth = AuthServer(token_seconds)
    auth.add_client(client_id, client_secret)
    uitdatabank = UitdatabankServer(auth)
    return UitServers(
        _serve(auth, host),
        _serve(uitdatabank, host),
        _serve(UitpasServer(auth, uitdatabank), host),
        _serve(ExchangeServer(exchange_api_key), host),
    )
