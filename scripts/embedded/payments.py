"""A local payment provider: the part of Stripe's API Podium uses, served over real HTTP.

The real `stripe` library talks to it unchanged once its API base points here
(`stripe.StripeClient(key, base_addresses={"api": handle.url})`), and the webhooks it sends
are signed exactly like Stripe's, so `stripe.Webhook.construct_event` verifies them.
No mock on PyPI or npm models declines, 3-D Secure, Bancontact redirects, Connect transfers
and idempotency together; this one does, in memory, for tests and local demos.

What is modelled (see docs/payment-provider.md for the full list):

* PaymentIntents with Stripe's test payment methods (success, declines, authentication
  required) and Bancontact, Charges, Refunds, Connect accounts, Transfers and reversals.
* Idempotency keys with Stripe's semantics (replay, parameter mismatch, 24 h, per API key).
* A hosted pay page (`/pay/<payment_intent>`) for the redirect steps a buyer must take.
* Webhooks signed with `Stripe-Signature`, delivered from a background thread with bounded
  retries, plus controls to hold, reorder and redeliver them.
* Fault injection (5xx answers, slow answers) to exercise the stripe library's own retries.

All state sits behind ONE re-entrant lock: each API request runs under it from start to
finish, so requests are atomic with respect to each other (like moto behind
`motoserver.LockedMotoApp`). Webhooks are POSTed outside the lock, so a receiver may call
the provider back while handling one.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import DictLoader, Environment, select_autoescape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .serving import BackgroundServer, serve_in_background

__all__ = [
    "API_VERSION",
    "DEFAULT_WEBHOOK_SECRET",
    "Delivery",
    "PaymentProvider",
    "PaymentProviderApp",
    "PaymentProviderHandle",
    "StripeError",
    "TEST_CARDS",
    "parse_params",
    "sign_payload",
    "start_payment_provider",
]

logger = logging.getLogger(__name__)

#: The API version stripe-python 16 pins; events carry it like Stripe's do.
API_VERSION = "2026-10-28.endive"
#: A fixed default so a locally run Podium can be configured once.
DEFAULT_WEBHOOK_SECRET = "whsec_podium_local_payment_provider"
IDEMPOTENCY_TTL = 24 * 3600
MAX_AMOUNT = 99_999_999

# Smallest chargeable amount per currency, in cents (Stripe's minimums).
MIN_AMOUNT = {"eur": 50, "usd": 50, "gbp": 30, "chf": 50, "dkk": 250, "sek": 300, "nok": 300, "pln": 200}
CURRENCY_SYMBOL = {"eur": "€", "usd": "$", "gbp": "£"}
PAYMENT_METHOD_TYPES = {"card", "bancontact"}
BANCONTACT_CURRENCIES = {"eur"}
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
CANCELABLE = {"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"}
CONFIRMABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's test payment methods and what confirming a payment with it does."""

    alias: str  # the `pm_card_…` id Stripe accepts in test mode
    number: str  # the card number the pay page offers
    brand: str
    outcome: str  # "succeed" | "decline" | "authenticate"
    decline_code: str | None = None
    message: str | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS = {
    card.alias: card
    for card in [
        TestCard("pm_card_visa", "4242424242424242", "visa", "succeed"),
        TestCard("pm_card_mastercard", "5555555555554444", "mastercard", "succeed"),
        TestCard(
            "pm_card_chargeDeclined",
            "4000000000000002",
            "visa",
            "decline",
            "generic_decline",
            "Your card was declined.",
        ),
        TestCard(
            "pm_card_chargeDeclinedInsufficientFunds",
            "4000000000009995",
            "visa",
            "decline",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        TestCard("pm_card_authenticationRequired", "4000002760003184", "visa", "authenticate"),
    ]
}
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS.values()}

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id: the object's prefix and random base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def money(amount: int, currency: str) -> str:
    """An amount in cents as Stripe's English error messages show it: €25.00."""
    symbol = CURRENCY_SYMBOL.get(currency)
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency.upper()}"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class StripeError(Exception):
    """An error answered in Stripe's shape: `{"error": {"type", "code", "message", "param", …}}`.

    `saved` says whether the answer is stored under the request's idempotency key. Like
    Stripe, only requests that changed something are (a declined card is: the PaymentIntent
    moved on); a request rejected before it touched anything may be fixed and retried with
    the same key.
    """

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        saved: bool = False,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.saved = saved
        self.extra = extra

    def body(self) -> dict:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update({key: value for key, value in self.extra.items() if value is not None})
        return {"error": error}


def invalid(message: str, *, code: str | None = None, param: str | None = None, status: int = 400) -> StripeError:
    """An `invalid_request_error` (400 unless told otherwise)."""
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def no_such(kind: str, object_id: str, param: str | None = None) -> StripeError:
    """Stripe's resource_missing: 404 for an id in the path, 400 for an id in a parameter."""
    return invalid(
        f"No such {kind}: '{object_id}'", code="resource_missing", param=param or "id", status=400 if param else 404
    )


# --------------------------------------------------------------------------------------------
# Form-encoded parameters
# --------------------------------------------------------------------------------------------

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict:
    """Decode Stripe's bracket notation into nested dicts and lists.

    `metadata[order_id]=7` gives `{"metadata": {"order_id": "7"}}`; arrays come as
    `payment_method_types[0]=card` (what stripe-python sends) or `payment_method_types[]=card`
    (what curl users write). Values stay strings: each endpoint types its own parameters.
    """
    root: dict = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise invalid(f"Invalid parameter name: {raw_key}", code="parameter_unknown", param=raw_key)
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":  # `key[]`: the next element of an array
                part = str(sum(1 for name in node if name.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {raw_key}", param=raw_key)
                node = child
    return _arrays(root, under_metadata=False)


def _arrays(node: Any, under_metadata: bool) -> Any:
    """Turn dicts whose keys are exactly 0..n-1 into lists (metadata keys are never indices)."""
    if not isinstance(node, dict):
        return node
    converted = {key: _arrays(value, key == "metadata") for key, value in node.items()}
    if not under_metadata and converted and all(key.isdigit() for key in converted):
        indices = sorted(converted, key=int)
        if [int(index) for index in indices] == list(range(len(indices))):
            return [converted[index] for index in indices]
    return converted


class Params:
    """One request's parameters with typed getters that fail like Stripe's validation does."""

    def __init__(self, values: dict, allowed: Iterable[str] | None = None):
        self.values = values
        unknown = sorted(set(values) - set(allowed) - {"expand"}) if allowed is not None else []
        if unknown:
            raise invalid(f"Received unknown parameter: {unknown[0]}", code="parameter_unknown", param=unknown[0])

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str, *, required: bool = False, choices: Iterable[str] | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"Missing required param: {name}.", code="parameter_missing", param=name)
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", code="parameter_invalid_string", param=name)
        if choices is not None and value not in choices:
            raise invalid(f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(
                f"This value must be greater than or equal to {minimum}.", code="parameter_invalid_integer", param=name
            )
        return number

    def boolean(self, name: str) -> bool:
        value = self.text(name)
        if value not in (None, "true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"

    def strings(self, name: str) -> list[str] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid(f"Invalid array for {name}", param=name)
        return value

    def mapping(self, name: str) -> dict:
        value = self.values.get(name) or {}
        if not isinstance(value, dict):
            raise invalid(f"Invalid object for {name}", param=name)
        return value

    def currency(self, name: str = "currency", *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        value = value.lower()
        if value not in MIN_AMOUNT:
            raise invalid(
                f"Invalid currency: {value}. Podium's local payment provider supports: "
                f"{', '.join(sorted(MIN_AMOUNT))}.",
                param=name,
            )
        return value

    def expand(self) -> list[str]:
        return self.strings("expand") or []

    def metadata(self, current: dict | None = None) -> dict:
        """Stripe's metadata semantics: keys merge into `current`; an empty value deletes a key,
        `metadata=""` deletes them all. At most 50 keys, 40-character keys, 500-character values."""
        merged = dict(current or {})
        value = self.values.get("metadata")
        if value is None:
            return merged
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid("Invalid object for metadata", param="metadata")
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid(f"Invalid string for metadata[{key}]", param=f"metadata[{key}]")
            if len(key) > 40:
                raise invalid("Metadata keys can have up to 40 characters.", param=f"metadata[{key}]")
            if len(item) > 500:
                raise invalid("Metadata values can have up to 500 characters.", param=f"metadata[{key}]")
            if item == "":
                merged.pop(key, None)
            else:
                merged[key] = item
        if len(merged) > 50:
            raise invalid("You can specify up to 50 keys in metadata.", param="metadata")
        return merged


# --------------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedResponse:
    """The first answer given under an idempotency key, replayed byte for byte."""

    endpoint: str  # "POST /v1/payment_intents"
    fingerprint: str  # the request's parameters, canonicalised
    status: int
    body: str
    request_id: str
    saved_at: float


class IdempotencyStore:
    """Saved answers per (API key, Idempotency-Key), forgotten after 24 hours like Stripe's."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._saved: dict[tuple[str, str], SavedResponse] = {}

    def lookup(self, api_key: str, key: str) -> SavedResponse | None:
        saved = self._saved.get((api_key, key))
        if saved is not None and self.clock() - saved.saved_at >= IDEMPOTENCY_TTL:
            del self._saved[(api_key, key)]
            return None
        return saved

    def save(self, api_key: str, key: str, response: SavedResponse) -> None:
        self._saved[(api_key, key)] = response


# --------------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------------


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.

    The secret is used as is, `whsec_` prefix included, exactly as stripe-python verifies it.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an event to the webhook endpoint."""

    event_id: str
    event_type: str
    attempt: int  # 1 for the first try, counting up through retries
    status: int | None  # the endpoint's HTTP status; None if it could not be reached
    error: str | None
    redelivery: bool  # sent because someone asked for it again (`redeliver`)
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDispatcher:
    """Delivers events from one background thread, at least once, retrying non-2xx answers.

    Retries back off exponentially (`backoff`, 2×, 4×, …) up to `max_attempts` attempts; other
    events are delivered in between, so one failing event does not block the rest.
    `hold()` parks new events; `release(order)` lets them go in an order of the test's choosing.
    """

    def __init__(
        self,
        lock: threading.RLock,
        url: str | None,
        secret: str,
        *,
        max_attempts: int = 5,
        backoff: float = 0.05,
        timeout: float = 5.0,
    ):
        self._changed = threading.Condition(lock)
        self.url = url
        self.secret = secret
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._payloads: dict[str, tuple[str, str]] = {}  # event id -> (type, exact JSON body)
        self._due: list[tuple[float, int, str, int, bool]] = []  # heap: (due, seq, event, attempt, redelivery)
        self._held: list[tuple[str, bool]] | None = None
        self._in_flight = 0
        self._seq = itertools.count()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="payments-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join(timeout=10)

    def publish(self, event_id: str, event_type: str, body: str) -> None:
        """Remember an event's body (redeliveries send the same bytes) and queue it if an endpoint
        is configured; like Stripe, events that happen without an endpoint are never sent."""
        with self._changed:
            self._payloads[event_id] = (event_type, body)
            if self.url:
                self._schedule(event_id, attempt=1, redelivery=False)

    def redeliver(self, event_id: str) -> None:
        with self._changed:
            if event_id not in self._payloads:
                raise KeyError(event_id)
            self._schedule(event_id, attempt=1, redelivery=True)

    def hold(self) -> None:
        with self._changed:
            if self._held is None:
                self._held = []

    def release(self, order: str | Iterable[str] | None = None) -> list[str]:
        """Deliver the held events: in creation order, `"reverse"`, or the listed event ids first
        (the rest after them in creation order). Returns the order used."""
        with self._changed:
            held, self._held = self._held or [], None
            if order == "reverse":
                held.reverse()
            elif order is not None:
                first = list(order)
                rank = {event_id: position for position, event_id in enumerate(first)}
                held.sort(key=lambda item: rank.get(item[0], len(first)))  # stable: the rest keep their order
            for event_id, redelivery in held:
                self._schedule(event_id, attempt=1, redelivery=redelivery)
            return [event_id for event_id, _ in held]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is queued or being sent (held events do not count)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._due and self._in_flight == 0, timeout)

    def _schedule(self, event_id: str, *, attempt: int, redelivery: bool, delay: float = 0.0) -> None:
        if self._held is not None and attempt == 1:
            self._held.append((event_id, redelivery))
            return
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._seq), event_id, attempt, redelivery))
        self._changed.notify_all()

    def _next_job(self) -> tuple[str, int, bool] | None:
        while not self._stopping:
            now = time.monotonic()
            if self._due and self._due[0][0] <= now:
                _, _, event_id, attempt, redelivery = heapq.heappop(self._due)
                return event_id, attempt, redelivery
            self._changed.wait(timeout=self._due[0][0] - now if self._due else None)
        return None

    def _run(self) -> None:
        while True:
            with self._changed:
                job = self._next_job()
                if job is None:
                    return
                event_id, attempt, redelivery = job
                event_type, body = self._payloads[event_id]
                url, secret = self.url, self.secret
                self._in_flight += 1
            # The POST happens outside the lock: the receiver may call the provider back.
            status, error = self._post(url, secret, body) if url else (None, "no webhook URL configured")
            with self._changed:
                self._in_flight -= 1
                delivery = Delivery(event_id, event_type, attempt, status, error, redelivery, time.time())
                self.deliveries.append(delivery)
                if not delivery.ok and url and attempt < self.max_attempts:
                    self._schedule(
                        event_id, attempt=attempt + 1, redelivery=redelivery, delay=self.backoff * 2 ** (attempt - 1)
                    )
                self._changed.notify_all()

    def _post(self, url: str, secret: str, body: str) -> tuple[int | None, str | None]:
        # Signed per attempt, with a fresh timestamp, as Stripe does.
        request = urllib.request.Request(
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign_payload(body, secret),
            },
        )
        try:
            # bandit B310 (urlopen of a file: URL): the stack's webhook URL, never a caller's URL.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, None
        except OSError as error:  # refused, reset, timed out
            return None, f"{type(error).__name__}: {error}"


# --------------------------------------------------------------------------------------------
# The provider: state and operations
# --------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """An injected failure for requests whose path starts with `path_prefix`.

    With a `status`, the request is NOT executed: after `delay` seconds the provider answers
    `status` (like a failing load balancer), and nothing is saved under the idempotency key.
    With `status=None`, the request IS executed and saved, but the answer is held back `delay`
    seconds, so a client with a shorter timeout gives up on work that was in fact done.
    """

    path_prefix: str
    status: int | None
    remaining: int
    delay: float = 0.0
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and path.startswith(self.path_prefix) and self.method in (None, method)


@dataclass(frozen=True)
class ApiRequest:
    """One request seen by the API, for tests that check what the client really sent."""

    method: str
    path: str
    status: int
    idempotency_key: str | None
    replayed: bool
    fault: bool


class PaymentProvider:
    """All objects and operations. Callers hold `self.lock` (the WSGI app does, per request)."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
        webhook_max_attempts: int = 5,
        webhook_backoff: float = 0.05,
        webhook_timeout: float = 5.0,
    ):
        self.lock = threading.RLock()
        self.clock = clock
        self.public_url = public_url
        self.idempotency = IdempotencyStore(lambda: self.clock())
        self.webhooks = WebhookDispatcher(
            self.lock,
            webhook_url,
            webhook_secret,
            max_attempts=webhook_max_attempts,
            backoff=webhook_backoff,
            timeout=webhook_timeout,
        )
        self.objects: dict[str, dict] = {}  # every object by id; `object` tells the kind
        self.events: list[dict] = []
        self.api_requests: list[ApiRequest] = []
        self.faults: list[Fault] = []
        self._test_cards: dict[str, TestCard] = {}  # payment method id -> its test behaviour
        self._return_urls: dict[str, str] = {}  # payment intent id -> return_url of its confirmation
        self._request: tuple[str | None, str | None] = (None, None)  # (request id, idempotency key) now

    def now(self) -> int:
        return int(self.clock())

    # -- helpers ---------------------------------------------------------------------------

    def get(self, kind: str, object_id: str, param: str | None = None) -> dict:
        """The stored object `object_id` of `kind`, or Stripe's resource_missing error."""
        obj = self.objects.get(object_id or "")
        if obj is None or obj["object"] != kind:
            raise no_such(kind.replace("_", " ").title().replace(" ", ""), object_id, param)
        return obj

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        """Record an event with a snapshot of `obj` and hand it to the webhook dispatcher."""
        request_id, idempotency_key = self._request
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1 if self.webhooks.url else 0,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        }
        if previous is not None:
            event["data"]["previous_attributes"] = previous
        self.objects[event["id"]] = event
        self.events.append(event)
        self.webhooks.publish(event["id"], event_type, json.dumps(event, indent=2))
        return event

    def expand(self, obj: dict, paths: list[str]) -> dict:
        """Replace id-valued fields named in `expand[]` by the objects themselves (one level)."""
        if not paths:
            return obj
        expanded = copy.deepcopy(obj)
        for path in paths:
            value = expanded.get(path)
            if path not in expanded or (value is not None and not (isinstance(value, str) and value in self.objects)):
                raise invalid(f"This property cannot be expanded ({path}).", param="expand")
            if value is not None:
                expanded[path] = copy.deepcopy(self.objects[value])
        return expanded

    def listing(self, kind: str, url: str, params: Params, **filters: str | None) -> dict:
        """A Stripe list object, newest first, with `limit` and `starting_after` paging."""
        limit = params.integer("limit", minimum=1) or 10
        if limit > 100:
            raise invalid(
                "This value must be less than or equal to 100.", code="parameter_invalid_integer", param="limit"
            )
        items = [
            obj
            for obj in reversed(self.objects.values())
            if obj["object"] == kind and all(value is None or obj.get(name) == value for name, value in filters.items())
        ]
        after = params.text("starting_after")
        if after:
            ids = [obj["id"] for obj in items]
            if after not in ids:
                raise no_such(kind, after, "starting_after")
            items = items[ids.index(after) + 1 :]
        return {"object": "list", "data": copy.deepcopy(items[:limit]), "has_more": len(items) > limit, "url": url}

    def _check_amount(self, amount: int, currency: str) -> None:
        if amount < MIN_AMOUNT[currency]:
            raise invalid(
                f"Amount must be at least {money(MIN_AMOUNT[currency], currency)} {currency}",
                code="amount_too_small",
                param="amount",
            )
        if amount > MAX_AMOUNT:
            raise invalid(
                f"Amount must be no more than {money(MAX_AMOUNT, currency)}", code="amount_too_large", param="amount"
            )

    def _payment_method_types(self, params: Params, currency: str) -> tuple[list[str], dict | None]:
        """Explicit `payment_method_types`, or what `automatic_payment_methods` (Stripe's default)
        would offer a Belgian account: card, plus Bancontact for euro payments."""
        types = params.strings("payment_method_types")
        if types is None:
            automatic = ["card"] + (["bancontact"] if currency in BANCONTACT_CURRENCIES else [])
            return automatic, {"allow_redirects": "always", "enabled": True}
        if not types:
            raise invalid("payment_method_types must not be empty.", param="payment_method_types")
        for kind in types:
            if kind not in PAYMENT_METHOD_TYPES:
                raise invalid(
                    f"The payment method type provided: {kind} is invalid. Podium's local payment "
                    f"provider supports: {', '.join(sorted(PAYMENT_METHOD_TYPES))}.",
                    code="payment_intent_invalid_parameter",
                    param="payment_method_types",
                )
        if "bancontact" in types and currency not in BANCONTACT_CURRENCIES:
            raise invalid(
                f"The currency provided ({currency}) is invalid for one or more payment method types on "
                "this PaymentIntent. The payment method type bancontact only supports the following "
                "currencies: eur.",
                code="payment_intent_invalid_parameter",
                param="payment_method_types",
            )
        return types, None

    # -- payment methods -------------------------------------------------------------------

    def _payment_method(self, params: Params, pi: dict) -> dict | None:
        """The payment method a confirmation uses: `payment_method` (a test alias such as
        `pm_card_visa`, cloned like Stripe does, or a stored id), `payment_method_data`, or the
        one already attached to the PaymentIntent."""
        alias = params.text("payment_method")
        data = params.mapping("payment_method_data")
        if alias and data:
            raise invalid(
                "You cannot specify both payment_method and payment_method_data.",
                code="parameters_exclusive",
                param="payment_method_data",
            )
        if alias:
            return self._resolve_payment_method(alias)
        if data:
            if data.get("type") != "bancontact":
                raise invalid(
                    "payment_method_data[type] must be bancontact here; use a test payment method such "
                    "as pm_card_visa for cards.",
                    param="payment_method_data[type]",
                )
            billing = data.get("billing_details")
            name = billing.get("name") if isinstance(billing, dict) else None
            if not name:
                raise invalid(
                    "Missing required param: payment_method_data[billing_details][name].",
                    code="parameter_missing",
                    param="payment_method_data[billing_details][name]",
                )
            return self._new_bancontact(name)
        if pi["payment_method"]:
            return self.objects[pi["payment_method"]]
        return None

    def _resolve_payment_method(self, alias: str) -> dict:
        """A stored payment method, or a fresh clone of a test one (`pm_card_visa`), as Stripe does."""
        if alias in TEST_CARDS:
            return self._new_card(TEST_CARDS[alias])
        return self.get("payment_method", alias, param="payment_method")

    def _new_card(self, card: TestCard) -> dict:
        pm = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "created": self.now(),
            "livemode": False,
            "metadata": {},
            "billing_details": {"name": None, "email": None},
            "card": {
                "brand": card.brand,
                "last4": card.last4,
                "exp_month": 12,
                "exp_year": time.gmtime().tm_year + 3,
                "country": "BE",
                "funding": "credit",
            },
        }
        self.objects[pm["id"]] = pm
        self._test_cards[pm["id"]] = card
        return pm

    def _new_bancontact(self, name: str) -> dict:
        pm = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "bancontact",
            "created": self.now(),
            "livemode": False,
            "metadata": {},
            "billing_details": {"name": name, "email": None},
            "bancontact": {},
        }
        self.objects[pm["id"]] = pm
        return pm

    # -- payment intents -------------------------------------------------------------------

    def create_payment_intent(self, params: Params) -> dict:
        currency = params.currency()
        amount = params.integer("amount", required=True)
        self._check_amount(amount, currency)
        types, automatic = self._payment_method_types(params, currency)
        capture_method = params.text("capture_method", choices=("automatic", "automatic_async")) or "automatic_async"
        pi_id = new_id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": automatic,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
            "confirmation_method": "automatic",
            "created": self.now(),
            "currency": currency,
            "description": params.text("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": params.metadata(),
            "next_action": None,
            "payment_method": None,
            "payment_method_types": types,
            "receipt_email": params.text("receipt_email"),
            "status": "requires_payment_method",
            "transfer_group": params.text("transfer_group"),
        }
        confirm = params.boolean("confirm")
        if "return_url" in params and not confirm:
            raise invalid("return_url can only be used with confirm=true.", param="return_url")
        pm = self._payment_method(params, pi)
        if pm is not None:
            self._check_payment_method_allowed(pi, pm)
        elif confirm:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        self.objects[pi_id] = pi
        if pm is not None:
            pi["payment_method"], pi["status"] = pm["id"], "requires_confirmation"
        if confirm:
            self._confirm(pi, pm, params.text("return_url"))
        return pi

    def update_payment_intent(self, pi_id: str, params: Params) -> dict:
        pi = self.get("payment_intent", pi_id)
        changes_payment = [
            name for name in ("amount", "currency", "payment_method", "payment_method_types") if name in params
        ]
        if changes_payment and pi["status"] not in CONFIRMABLE:
            raise self._unexpected_state(pi, "update")
        currency = params.currency(required=False) or pi["currency"]
        amount = params.integer("amount")
        if amount is not None or currency != pi["currency"]:
            self._check_amount(pi["amount"] if amount is None else amount, currency)
        types = (
            self._payment_method_types(params, currency)[0]
            if "payment_method_types" in params
            else pi["payment_method_types"]
        )
        pm = self._resolve_payment_method(params.text("payment_method")) if params.text("payment_method") else None
        metadata = params.metadata(pi["metadata"])
        if pm is not None and pm["type"] not in types:
            self._check_payment_method_allowed({**pi, "payment_method_types": types}, pm)
        texts = {
            name: params.text(name) for name in ("description", "receipt_email", "transfer_group") if name in params
        }
        # Validation is over: apply everything at once so a rejected update changes nothing.
        pi.update(
            amount=pi["amount"] if amount is None else amount,
            currency=currency,
            payment_method_types=types,
            metadata=metadata,
            **texts,
        )
        if pm is not None:
            pi.update(payment_method=pm["id"], status="requires_confirmation", next_action=None)
        return pi

    def confirm_payment_intent(self, pi_id: str, params: Params, *, return_url_required: bool = True) -> dict:
        pi = self.get("payment_intent", pi_id)
        if pi["status"] not in CONFIRMABLE:
            raise self._unexpected_state(pi, "confirm")
        pm = self._payment_method(params, pi)
        return_url = params.text("return_url")
        if pm is not None and pm["type"] == "bancontact" and not return_url and return_url_required:
            raise invalid(
                "A return_url must be specified to confirm a PaymentIntent with bancontact, because "
                "the customer is redirected to authorize the payment.",
                code="parameter_missing",
                param="return_url",
            )
        self._confirm(pi, pm, return_url)
        return pi

    def cancel_payment_intent(self, pi_id: str, params: Params) -> dict:
        pi = self.get("payment_intent", pi_id)
        reason = params.text("cancellation_reason", choices=CANCELLATION_REASONS)
        if pi["status"] not in CANCELABLE:
            raise self._unexpected_state(pi, "cancel")
        pi.update(status="canceled", canceled_at=self.now(), cancellation_reason=reason, next_action=None)
        self.emit("payment_intent.canceled", pi)
        return pi

    def _unexpected_state(self, pi: dict, action: str) -> StripeError:
        allowed = sorted(CANCELABLE if action == "cancel" else CONFIRMABLE)
        return StripeError(
            400,
            "invalid_request_error",
            f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. "
            f"Only a PaymentIntent with one of the following statuses may be {action}ed: "
            f"{', '.join(allowed)}.",
            code="payment_intent_unexpected_state",
            payment_intent=copy.deepcopy(pi),
        )

    def _check_payment_method_allowed(self, pi: dict, pm: dict) -> None:
        if pm["type"] not in pi["payment_method_types"]:
            raise invalid(
                f"The provided PaymentMethod's type ({pm['type']}) is not allowed by this PaymentIntent's "
                f"payment_method_types ({', '.join(pi['payment_method_types'])}).",
                code="payment_intent_incompatible_payment_method",
                param="payment_method",
            )

    def _confirm(self, pi: dict, pm: dict | None, return_url: str | None) -> None:
        """Run a confirmation: succeed, decline (402, saved), or ask for a redirect to the pay page."""
        if pm is None:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. Update it "
                "with a payment_method, or confirm with one.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        self._check_payment_method_allowed(pi, pm)
        pi.update(payment_method=pm["id"], last_payment_error=None)
        if return_url:
            self._return_urls[pi["id"]] = return_url
        card = self._test_cards.get(pm["id"])
        if pm["type"] == "bancontact" or (card and card.outcome == "authenticate"):
            query = {"client_secret": pi["client_secret"]}
            if return_url:
                query["return_url"] = return_url
            pi.update(
                status="requires_action",
                next_action={
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "url": f"{self.public_url}/pay/{pi['id']}?{urlencode(query)}",
                        "return_url": return_url,
                    },
                },
            )
            self.emit("payment_intent.requires_action", pi)
        elif card and card.outcome == "decline":
            charge = self._charge(pi, pm, succeeded=False, failure=card)
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": card.decline_code,
                "message": card.message,
                "charge": charge["id"],
                "payment_method": copy.deepcopy(pm),
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            }
            self._fail(pi, error)
            raise StripeError(
                402,
                "card_error",
                card.message,
                code="card_declined",
                saved=True,
                decline_code=card.decline_code,
                charge=charge["id"],
                payment_method=copy.deepcopy(pm),
                payment_intent=copy.deepcopy(pi),
            )
        else:
            self._succeed(pi, pm)

    def _charge(self, pi: dict, pm: dict, *, succeeded: bool, failure: TestCard | None = None) -> dict:
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if succeeded else 0,
            "amount_refunded": 0,
            "captured": succeeded,
            "created": self.now(),
            "currency": pi["currency"],
            "description": pi["description"],
            "failure_code": None if succeeded else "card_declined",
            "failure_message": None if succeeded else failure.message,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "outcome": {
                "network_status": "approved_by_network" if succeeded else "declined_by_network",
                "reason": None if succeeded else failure.decline_code,
                "type": "authorized" if succeeded else "issuer_declined",
            },
            "paid": succeeded,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": {"type": pm["type"], pm["type"]: copy.deepcopy(pm.get(pm["type"], {}))},
            "receipt_email": pi["receipt_email"],
            "refunded": False,
            "status": "succeeded" if succeeded else "failed",
            "transfer_group": pi["transfer_group"],
        }
        self.objects[charge["id"]] = charge
        pi["latest_charge"] = charge["id"]
        return charge

    def _succeed(self, pi: dict, pm: dict) -> None:
        self._charge(pi, pm, succeeded=True)
        pi.update(status="succeeded", amount_received=pi["amount"], next_action=None, last_payment_error=None)
        self.emit("payment_intent.succeeded", pi)

    def _fail(self, pi: dict, error: dict) -> None:
        # Stripe detaches the failed payment method so the buyer can try another one.
        pi.update(status="requires_payment_method", next_action=None, payment_method=None, last_payment_error=error)
        self.emit("payment_intent.payment_failed", pi)

    def complete_action(self, pi_id: str, outcome: str) -> dict:
        """The buyer's answer on the pay page to a `requires_action` step:
        "approve" (succeeded), "fail" (payment failed) or, for Bancontact, "process" (processing)."""
        pi = self.get("payment_intent", pi_id)
        if pi["status"] != "requires_action":
            raise self._unexpected_state(pi, "confirm")
        pm = self.objects[pi["payment_method"]]
        if outcome == "approve":
            self._succeed(pi, pm)
        elif outcome == "process" and pm["type"] == "bancontact":
            pi.update(status="processing", next_action=None)
            self.emit("payment_intent.processing", pi)
        elif outcome == "fail":
            code = (
                "payment_intent_authentication_failure"
                if pm["type"] == "card"
                else "payment_intent_payment_attempt_failed"
            )
            self._fail(
                pi,
                {
                    "type": "invalid_request_error",
                    "code": code,
                    "payment_method": copy.deepcopy(pm),
                    "message": "The provided PaymentMethod has failed authentication. You can provide "
                    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                    "PaymentIntent again.",
                },
            )
        else:
            raise invalid(f"Unknown outcome: {outcome}", param="outcome")
        return pi

    def settle(self, pi_id: str, succeeded: bool = True) -> dict:
        """Finish a `processing` payment, as the bank eventually does."""
        with self.lock:
            pi = self.get("payment_intent", pi_id)
            if pi["status"] != "processing":
                raise invalid(
                    f"Only a processing PaymentIntent can be settled; {pi_id} is {pi['status']}.",
                    code="payment_intent_unexpected_state",
                )
            pm = self.objects[pi["payment_method"]]
            if succeeded:
                self._succeed(pi, pm)
            else:
                self._fail(
                    pi,
                    {
                        "type": "invalid_request_error",
                        "code": "payment_intent_payment_attempt_failed",
                        "message": "The payment failed.",
                        "payment_method": copy.deepcopy(pm),
                    },
                )
            return pi

    # -- refunds ---------------------------------------------------------------------------

    def create_refund(self, params: Params) -> dict:
        pi_id, charge_id = params.text("payment_intent"), params.text("charge")
        if not pi_id and not charge_id:
            raise invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
                param="payment_intent",
            )
        if pi_id:
            pi = self.get("payment_intent", pi_id, "payment_intent")
            if pi["status"] != "succeeded":
                raise invalid(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    code="charge_not_refundable",
                    param="payment_intent",
                )
            if charge_id and charge_id != pi["latest_charge"]:
                raise invalid(f"Charge {charge_id} does not belong to PaymentIntent {pi_id}.", param="charge")
            charge_id = pi["latest_charge"]
        charge = self.get("charge", charge_id, "charge")
        if charge["status"] != "succeeded":
            raise invalid(
                f"Charge {charge_id} has not succeeded and cannot be refunded.",
                code="charge_not_refundable",
                param="charge",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise invalid(
                f"Charge {charge_id} has already been refunded.", code="charge_already_refunded", param="charge"
            )
        amount = params.integer("amount", minimum=1)
        if amount is not None and amount > remaining:
            raise invalid(
                f"Refund amount ({money(amount, charge['currency'])}) is greater than unrefunded amount "
                f"on charge ({money(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        amount = remaining if amount is None else amount
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge_id,
            "created": self.now(),
            "currency": charge["currency"],
            "metadata": params.metadata(),
            "payment_intent": charge["payment_intent"],
            "reason": params.text("reason", choices=REFUND_REASONS),
            "status": "succeeded",
            "transfer_reversal": None,
        }
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        self.objects[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge, previous)
        return refund

    # -- Connect: accounts and transfers ------------------------------------------------------

    def create_account(self, params: Params) -> dict:
        kind = params.text("type", required=True, choices=("express", "custom", "standard"))
        country = (params.text("country") or "BE").upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise invalid(
                f"Country '{country}' is unknown. Try using a 2-character alphanumeric country code "
                "instead, such as 'BE'.",
                param="country",
            )
        capabilities = {name: "active" for name in params.mapping("capabilities")} or {
            "card_payments": "active",
            "transfers": "active",
        }
        account = {
            "id": new_id("acct", 16),
            "object": "account",
            "type": kind,
            "country": country,
            "email": params.text("email"),
            "metadata": params.metadata(),
            "business_type": params.text("business_type"),
            "business_profile": params.mapping("business_profile"),
            "capabilities": capabilities,
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "default_currency": "eur" if country == "BE" else "usd",
            "created": self.now(),
        }
        self.objects[account["id"]] = account
        return account

    def create_transfer(self, params: Params) -> dict:
        amount = params.integer("amount", required=True, minimum=1)
        currency = params.currency()
        destination = self.get("account", params.text("destination", required=True), "destination")
        source_id = params.text("source_transaction")
        if source_id:
            charge = self.get("charge", source_id, "source_transaction")
            if charge["status"] != "succeeded":
                raise invalid(f"The source_transaction {source_id} has not succeeded.", param="source_transaction")
            if charge["currency"] != currency:
                raise invalid(
                    f"The currency of source_transaction {source_id} ({charge['currency']}) must match "
                    f"the transfer's ({currency}).",
                    param="currency",
                )
            # Each euro of a charge can be paid out once: reversals do not make it available again.
            transferred = sum(
                obj["amount"]
                for obj in self.objects.values()
                if obj["object"] == "transfer" and obj["source_transaction"] == source_id
            )
            remaining = charge["amount"] - transferred
            if amount > remaining:
                raise invalid(
                    f"Insufficient funds in source transaction {source_id}: the amount you're transferring "
                    f"({money(amount, currency)}) must not exceed the remaining amount on the transaction "
                    f"({money(remaining, currency)}).",
                    code="balance_insufficient",
                    param="amount",
                )
        transfer_id = new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "created": self.now(),
            "description": params.text("description"),
            "destination": destination["id"],
            "destination_payment": new_id("py"),
            "livemode": False,
            "metadata": params.metadata(),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_id,
            "source_type": "card",
            "transfer_group": params.text("transfer_group"),
        }
        self.objects[transfer_id] = transfer
        self.emit("transfer.created", transfer)
        return transfer

    def create_reversal(self, transfer_id: str, params: Params) -> dict:
        transfer = self.get("transfer", transfer_id)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining == 0:
            raise invalid(f"Transfer {transfer_id} has already been fully reversed.", param="amount")
        amount = params.integer("amount", minimum=1)
        if amount is not None and amount > remaining:
            raise invalid(
                f"Reversal amount ({money(amount, transfer['currency'])}) is greater than the amount not "
                f"yet reversed on transfer {transfer_id} ({money(remaining, transfer['currency'])}).",
                code="amount_too_large",
                param="amount",
            )
        amount = remaining if amount is None else amount
        reversal = {
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "created": self.now(),
            "currency": transfer["currency"],
            "destination_payment_refund": new_id("pyr"),
            "metadata": params.metadata(),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self.objects[reversal["id"]] = reversal
        previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversals = transfer["reversals"]
        reversals["data"].insert(0, copy.deepcopy(reversal))
        reversals["total_count"] += 1
        self.emit("transfer.reversed", transfer, previous)
        return reversal

    # -- controls (tests and local demos) -----------------------------------------------------

    def inject(
        self,
        path_prefix: str,
        status: int | None = 500,
        count: int = 1,
        *,
        delay: float = 0.0,
        method: str | None = None,
    ) -> Fault:
        with self.lock:
            fault = Fault(path_prefix, status, count, delay, method.upper() if method else None)
            self.faults.append(fault)
            return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
            return None


# --------------------------------------------------------------------------------------------
# The hosted pay page
# --------------------------------------------------------------------------------------------

PAGE_TEXT = {
    "nl": {
        "title": "Betalen",
        "test_mode": "Testomgeving: er wordt geen echt geld verrekend.",
        "amount": "Te betalen",
        "choose": "Kies een betaalmethode",
        "cards": "Testkaart",
        "card_succeed": "betaling lukt",
        "card_decline": "kaart geweigerd",
        "card_insufficient": "onvoldoende saldo",
        "card_authenticate": "verificatie door de bank vereist",
        "pay_card": "Betalen met kaart",
        "bancontact": "Bancontact",
        "name": "Naam van de kaarthouder",
        "pay_bancontact": "Betalen met Bancontact",
        "authenticate": "Bevestig de betaling",
        "authenticate_card": "Je bank vraagt je deze testbetaling te bevestigen.",
        "authenticate_bancontact": "Bevestig deze testbetaling zoals in de Bancontact-app.",
        "approve": "Goedkeuren",
        "fail": "Weigeren",
        "process": "Goedkeuren, later verwerkt",
        "declined": "Je kaart werd geweigerd. Kies een andere betaalmethode.",
        "unknown_card": "Kies een van de testkaarten.",
        "missing_name": "Vul de naam van de kaarthouder in.",
        "succeeded": "De betaling is geslaagd.",
        "processing": "De betaling wordt verwerkt.",
        "canceled": "Deze betaling werd geannuleerd.",
        "back": "Terug naar de website",
        "not_found": "Deze betaling bestaat niet of de link is ongeldig.",
        "language": "Taal",
    },
    "fr": {
        "title": "Paiement",
        "test_mode": "Environnement de test : aucun argent réel n'est débité.",
        "amount": "Montant à payer",
        "choose": "Choisissez un mode de paiement",
        "cards": "Carte de test",
        "card_succeed": "paiement réussi",
        "card_decline": "carte refusée",
        "card_insufficient": "fonds insuffisants",
        "card_authenticate": "authentification bancaire requise",
        "pay_card": "Payer par carte",
        "bancontact": "Bancontact",
        "name": "Nom du titulaire",
        "pay_bancontact": "Payer avec Bancontact",
        "authenticate": "Confirmez le paiement",
        "authenticate_card": "Votre banque vous demande de confirmer ce paiement de test.",
        "authenticate_bancontact": "Confirmez ce paiement de test comme dans l'app Bancontact.",
        "approve": "Approuver",
        "fail": "Refuser",
        "process": "Approuver, traitement différé",
        "declined": "Votre carte a été refusée. Choisissez un autre mode de paiement.",
        "unknown_card": "Choisissez une des cartes de test.",
        "missing_name": "Indiquez le nom du titulaire.",
        "succeeded": "Le paiement a réussi.",
        "processing": "Le paiement est en cours de traitement.",
        "canceled": "Ce paiement a été annulé.",
        "back": "Retour au site",
        "not_found": "Ce paiement n'existe pas ou le lien n'est pas valide.",
        "language": "Langue",
    },
    "en": {
        "title": "Payment",
        "test_mode": "Test environment: no real money is moved.",
        "amount": "Amount due",
        "choose": "Choose a payment method",
        "cards": "Test card",
        "card_succeed": "payment succeeds",
        "card_decline": "card declined",
        "card_insufficient": "insufficient funds",
        "card_authenticate": "bank authentication required",
        "pay_card": "Pay by card",
        "bancontact": "Bancontact",
        "name": "Cardholder name",
        "pay_bancontact": "Pay with Bancontact",
        "authenticate": "Confirm the payment",
        "authenticate_card": "Your bank asks you to confirm this test payment.",
        "authenticate_bancontact": "Confirm this test payment as you would in the Bancontact app.",
        "approve": "Approve",
        "fail": "Decline",
        "process": "Approve, processed later",
        "declined": "Your card was declined. Choose another payment method.",
        "unknown_card": "Choose one of the test cards.",
        "missing_name": "Enter the cardholder's name.",
        "succeeded": "The payment succeeded.",
        "processing": "The payment is being processed.",
        "canceled": "This payment was canceled.",
        "back": "Back to the website",
        "not_found": "This payment does not exist or the link is invalid.",
        "language": "Language",
    },
}

_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}{% if amount %} – {{ amount }}{% endif %}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
fieldset { margin: 1rem 0; } label { display: block; margin: .25rem 0; }
button { font-size: 1rem; padding: .5rem 1rem; margin: .5rem .5rem 0 0; }
[role=alert] { border: 2px solid #b00020; padding: .5rem; }
</style>
</head>
<body>
{% macro hidden_fields() %}{% for name, value in hidden.items()
%}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}{% endmacro %}
<nav aria-label="{{ t.language }}">
{% for code in languages %}<a href="{{ language_links[code] }}" lang="{{ code }}"{%
if code == lang %} aria-current="page"{% endif %}>{{ code | upper }}</a> {% endfor %}
</nav>
<main>
<h1>{{ t.title }}</h1>
<p>{{ t.test_mode }}</p>
{% if not pi %}
<p role="alert">{{ t.not_found }}</p>
{% else %}
<p>{{ t.amount }}: <strong>{{ amount }}</strong>{% if pi.description %} – {{ pi.description }}{% endif %}</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
{% if step == "choose" %}
<h2>{{ t.choose }}</h2>
{% if "card" in pi.payment_method_types %}
<form method="post" action="{{ action }}">
{{ hidden_fields() }}
<fieldset>
<legend>{{ t.cards }}</legend>
{% for card in cards %}
<label><input type="radio" name="card" value="{{ card.number }}"{% if loop.first %} checked{% endif %}>
{{ card.number[0:4] }} {{ card.number[4:8] }} {{ card.number[8:12] }} {{ card.number[12:16] }} – {{
card.label }}</label>
{% endfor %}
</fieldset>
<button type="submit" name="action" value="card">{{ t.pay_card }}</button>
</form>
{% endif %}
{% if "bancontact" in pi.payment_method_types %}
<form method="post" action="{{ action }}">
{{ hidden_fields() }}
<fieldset>
<legend>{{ t.bancontact }}</legend>
<label for="name">{{ t.name }}</label>
<input id="name" name="name" autocomplete="cc-name" required>
</fieldset>
<button type="submit" name="action" value="bancontact">{{ t.pay_bancontact }}</button>
</form>
{% endif %}
{% elif step == "authenticate" %}
<h2>{{ t.authenticate }}</h2>
<p>{{ t.authenticate_bancontact if bancontact else t.authenticate_card }}</p>
<form method="post" action="{{ action }}">
{{ hidden_fields() }}
<button type="submit" name="action" value="approve">{{ t.approve }}</button>
<button type="submit" name="action" value="fail">{{ t.fail }}</button>
{% if bancontact %}<button type="submit" name="action" value="process">{{ t.process }}</button>{% endif %}
</form>
{% else %}
<p role="status">{{ t[pi.status] }}</p>
{% if back_url %}<p><a href="{{ back_url }}">{{ t.back }}</a></p>{% endif %}
{% endif %}
{% endif %}
</main>
</body>
</html>
"""

_templates = Environment(
    loader=DictLoader({"pay.html": _PAGE}),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_amount(amount: int, currency: str, lang: str) -> str:
    """An amount as a buyer in `lang` reads it: "€ 1.234,50" (nl), "1 234,50 €" (fr), "€1,234.50" (en)."""
    symbol = CURRENCY_SYMBOL.get(currency, currency.upper())
    english = f"{amount / 100:,.2f}"
    if lang == "en":
        return f"{symbol}{english}"
    if lang == "fr":
        return english.replace(",", "\u202f").replace(".", ",") + f" {symbol}"
    return f"{symbol} " + english.replace(",", "_").replace(".", ",").replace("_", ".")


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query string (existing parameters are kept)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    query = urlencode(parse_qsl(query, keep_blank_values=True) + list(params.items()))
    return urlunsplit((scheme, netloc, path, query, fragment))


def _safe_return_url(url: str | None) -> str | None:
    # Only http(s): a `javascript:` return_url must not become a link or a redirect.
    return url if url and urlsplit(url).scheme in ("http", "https") else None


class PayPage:
    """`GET/POST /pay/<payment_intent>`: where the buyer picks a test card or Bancontact and
    answers the authentication step; then back to `return_url` with `payment_intent`,
    `payment_intent_client_secret` and `redirect_status` (succeeded | processing | failed)."""

    def __init__(self, provider: PaymentProvider):
        self.provider = provider

    def handle(self, request: Request, pi_id: str) -> Response:
        source = request.form if request.method == "POST" else request.args
        lang = source.get("lang") if source.get("lang") in PAGE_TEXT else "nl"
        pi = self.provider.objects.get(pi_id)
        if (
            pi is None
            or pi["object"] != "payment_intent"
            or not hmac.compare_digest(source.get("client_secret", ""), pi["client_secret"])
        ):
            return self.render(None, lang, None, status=404)
        return_url = _safe_return_url(source.get("return_url") or self.provider._return_urls.get(pi_id))
        if request.method == "GET":
            return self.render(pi, lang, return_url)
        try:
            error = self.act(pi, source, lang, return_url)
        except StripeError as failure:
            if failure.status != 402:
                return self.render(pi, lang, return_url, error=failure.message, status=failure.status)
            error = PAGE_TEXT[lang]["declined"]
        if error:
            return self.render(pi, lang, return_url, error=error)
        if pi["status"] == "requires_action":  # on to the authentication step, as a fresh page
            query = {"client_secret": pi["client_secret"], "lang": lang}
            if return_url:
                query["return_url"] = return_url
            return Response(status=303, headers={"Location": f"/pay/{pi_id}?{urlencode(query)}"})
        redirect_status = {"succeeded": "succeeded", "processing": "processing"}.get(pi["status"], "failed")
        if not return_url:
            return self.render(pi, lang, None)
        return Response(
            status=303,
            headers={
                "Location": with_query(
                    return_url,
                    payment_intent=pi_id,
                    payment_intent_client_secret=pi["client_secret"],
                    redirect_status=redirect_status,
                )
            },
        )

    def act(self, pi: dict, form, lang: str, return_url: str | None) -> str | None:
        """Carry out the buyer's choice; returns a message to show, or None to move on."""
        action, text = form.get("action"), PAGE_TEXT[lang]
        if action == "card":
            card = CARDS_BY_NUMBER.get(re.sub(r"\D", "", form.get("card", "")))
            if card is None:
                return text["unknown_card"]
            self.provider.confirm_payment_intent(
                pi["id"], Params({"payment_method": card.alias, "return_url": return_url})
            )
        elif action == "bancontact":
            name = form.get("name", "").strip()
            if not name:
                return text["missing_name"]
            params = {
                "payment_method_data": {"type": "bancontact", "billing_details": {"name": name}},
                "return_url": return_url,
            }
            self.provider.confirm_payment_intent(pi["id"], Params(params), return_url_required=False)
        elif action in ("approve", "fail", "process"):
            self.provider.complete_action(pi["id"], action)
        else:
            return text["unknown_card"]
        return None

    def render(
        self, pi: dict | None, lang: str, return_url: str | None, *, error: str | None = None, status: int = 200
    ) -> Response:
        text = PAGE_TEXT[lang]
        context: dict[str, Any] = {
            "lang": lang,
            "t": text,
            "pi": pi,
            "error": error,
            "languages": list(PAGE_TEXT),
            "language_links": {code: f"?{urlencode({'lang': code})}" for code in PAGE_TEXT},
        }
        if pi is not None:
            base = {"client_secret": pi["client_secret"], **({"return_url": return_url} if return_url else {})}
            step = (
                "choose"
                if pi["status"] in ("requires_payment_method", "requires_confirmation")
                else "authenticate"
                if pi["status"] == "requires_action"
                else "result"
            )
            pm = self.provider.objects.get(pi["payment_method"] or "")
            labels = {"succeed": text["card_succeed"], "authenticate": text["card_authenticate"]}
            context.update(
                step=step,
                amount=format_amount(pi["amount"], pi["currency"], lang),
                action=f"/pay/{pi['id']}",
                hidden={**base, "lang": lang},
                language_links={code: f"?{urlencode({**base, 'lang': code})}" for code in PAGE_TEXT},
                bancontact=bool(pm and pm["type"] == "bancontact"),
                cards=[
                    {
                        "number": card.number,
                        "label": labels.get(card.outcome)
                        or (
                            text["card_insufficient"]
                            if card.decline_code == "insufficient_funds"
                            else text["card_decline"]
                        ),
                    }
                    for card in TEST_CARDS.values()
                ],
                back_url=return_url
                and with_query(
                    return_url,
                    payment_intent=pi["id"],
                    payment_intent_client_secret=pi["client_secret"],
                    redirect_status={"succeeded": "succeeded", "processing": "processing"}.get(pi["status"], "failed"),
                ),
            )
        html = _templates.get_template("pay.html").render(**context)
        return Response(html, status=status, mimetype="text/html")


# --------------------------------------------------------------------------------------------
# Stripe.js, as far as a pay page uses it
# --------------------------------------------------------------------------------------------

# `GET /v3/`: a stand-in of https://js.stripe.com/v3/ with the part of the Payment Element API a pay page
# uses: `Stripe(key, {locale})`, `elements({clientSecret, appearance})`, `create("payment").mount(box)` and
# `confirmPayment({elements, confirmParams: {return_url}})`. The element lists the test cards; confirming posts
# to this provider's `/v1/payment_intents/<id>/confirm` with the publishable key and the client secret, as
# Stripe.js does, then follows the authentication step's redirect or returns to `return_url` with
# `redirect_status`; a decline comes back as `{error}`. So a page that pays with Stripe.js on AWS pays the
# same way here, with only the script's URL different.
_STRIPE_JS = """(function () {
  "use strict";
  var BASE = %(base)s, CARDS = %(cards)s, TEXT = %(text)s;
  function texts(locale) { return TEXT[(locale || "").slice(0, 2)] || TEXT.en; }
  window.Stripe = function (key, options) {
    var t = texts(options && options.locale);
    return {
      elements: function (settings) {
        var clientSecret = settings.clientSecret;
        return {
          clientSecret: clientSecret,
          create: function (kind) {
            if (kind !== "payment") throw new Error("only the payment element is modelled");
            return { mount: function (box) {
              if (typeof box === "string") box = document.querySelector(box);
              var fieldset = document.createElement("fieldset"), legend = document.createElement("legend");
              legend.textContent = t.cards;
              fieldset.appendChild(legend);
              CARDS.forEach(function (card, index) {
                var input = document.createElement("input"), label = document.createElement("label");
                input.type = "radio"; input.name = "card"; input.value = card.number;
                input.id = "stripe-card-" + index; input.checked = index === 0;
                input.setAttribute("data-payment-method", card.alias);
                label.htmlFor = input.id;
                label.textContent = card.number.replace(/(\\d{4})(?=\\d)/g, "$1 ") + " – " + t[card.label];
                var line = document.createElement("div");
                line.appendChild(input); line.appendChild(label); fieldset.appendChild(line);
              });
              box.appendChild(fieldset);
            } };
          }
        };
      },
      confirmPayment: function (args) {
        var clientSecret = args.elements.clientSecret, intent = clientSecret.split("_secret_")[0];
        var chosen = document.querySelector('input[name="card"]:checked');
        if (!chosen) return Promise.resolve({ error: { type: "validation_error", message: t.unknown_card } });
        var returnUrl = args.confirmParams.return_url;
        var body = new URLSearchParams({ key: key, client_secret: clientSecret, return_url: returnUrl,
                                         payment_method: chosen.getAttribute("data-payment-method") });
        return fetch(BASE + "/v1/payment_intents/" + intent + "/confirm", { method: "POST", body: body })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            if (data.error) return { error: data.error };
            if (data.status === "requires_action" && data.next_action && data.next_action.redirect_to_url) {
              window.location.assign(data.next_action.redirect_to_url.url);
              return {};
            }
            var back = new URL(returnUrl);
            back.searchParams.set("payment_intent", intent);
            back.searchParams.set("payment_intent_client_secret", clientSecret);
            back.searchParams.set("redirect_status",
                                  data.status === "succeeded" || data.status === "processing" ? data.status : "failed");
            window.location.assign(back.toString());
            return {};
          });
      }
    };
  };
})();
"""


def stripe_js(base_url: str) -> str:
    """The stand-in Stripe.js, confirming against the provider at `base_url`."""
    labels = {"succeed": "card_succeed", "authenticate": "card_authenticate"}
    cards = [
        {
            "alias": card.alias,
            "number": card.number,
            "label": labels.get(card.outcome)
            or ("card_insufficient" if card.decline_code == "insufficient_funds" else "card_decline"),
        }
        for card in TEST_CARDS.values()
    ]
    keys = ("cards", "card_succeed", "card_authenticate", "card_insufficient", "card_decline", "unknown_card")
    text = {lang: {key: words[key] for key in keys} for lang, words in PAGE_TEXT.items()}
    return _STRIPE_JS % {"base": json.dumps(base_url), "cards": json.dumps(cards), "text": json.dumps(text)}


# --------------------------------------------------------------------------------------------
# The WSGI app
# --------------------------------------------------------------------------------------------

_API_KEY = re.compile(r"^(sk|rk)_test_\w+$")
_PUBLISHABLE_KEY = re.compile(r"^pk_test_\w+$")


class PaymentProviderApp:
    """The HTTP face of a `PaymentProvider`: Stripe's `/v1` API, the pay page, `/_control`."""

    def __init__(self, provider: PaymentProvider):
        self.provider = provider
        self.pay_page = PayPage(provider)
        p = provider
        # endpoint -> (handler(*path ids, params), the parameters it accepts)
        self.api: dict[str, tuple[Callable[..., dict], tuple[str, ...]]] = {
            "create_pi": (
                p.create_payment_intent,
                (
                    "amount",
                    "currency",
                    "payment_method_types",
                    "automatic_payment_methods",
                    "transfer_group",
                    "metadata",
                    "description",
                    "receipt_email",
                    "capture_method",
                    "confirm",
                    "payment_method",
                    "payment_method_data",
                    "return_url",
                ),
            ),
            "get_pi": (lambda id, params: p.get("payment_intent", id), ()),
            "update_pi": (
                p.update_payment_intent,
                (
                    "amount",
                    "currency",
                    "payment_method",
                    "payment_method_types",
                    "metadata",
                    "description",
                    "receipt_email",
                    "transfer_group",
                ),
            ),
            "confirm_pi": (p.confirm_payment_intent, ("payment_method", "payment_method_data", "return_url")),
            "cancel_pi": (p.cancel_payment_intent, ("cancellation_reason",)),
            "get_charge": (lambda id, params: p.get("charge", id), ()),
            "get_payment_method": (lambda id, params: p.get("payment_method", id), ()),
            "create_refund": (p.create_refund, ("payment_intent", "charge", "amount", "reason", "metadata")),
            "get_refund": (lambda id, params: p.get("refund", id), ()),
            "list_refunds": (
                lambda params: p.listing(
                    "refund",
                    "/v1/refunds",
                    params,
                    payment_intent=params.text("payment_intent"),
                    charge=params.text("charge"),
                ),
                ("payment_intent", "charge", "limit", "starting_after"),
            ),
            "create_account": (
                p.create_account,
                ("type", "country", "email", "metadata", "business_type", "business_profile", "capabilities"),
            ),
            "get_account": (lambda id, params: p.get("account", id), ()),
            "create_transfer": (
                p.create_transfer,
                (
                    "amount",
                    "currency",
                    "destination",
                    "transfer_group",
                    "source_transaction",
                    "metadata",
                    "description",
                ),
            ),
            "get_transfer": (lambda id, params: p.get("transfer", id), ()),
            "list_transfers": (
                lambda params: p.listing(
                    "transfer",
                    "/v1/transfers",
                    params,
                    transfer_group=params.text("transfer_group"),
                    destination=params.text("destination"),
                ),
                ("transfer_group", "destination", "limit", "starting_after"),
            ),
            "create_reversal": (p.create_reversal, ("amount", "metadata", "description")),
            "list_reversals": (
                lambda id, params: p.listing(
                    "transfer_reversal", f"/v1/transfers/{id}/reversals", params, transfer=p.get("transfer", id)["id"]
                ),
                ("limit", "starting_after"),
            ),
            "get_event": (lambda id, params: p.get("event", id), ()),
        }
        self.routes = Map(
            [
                Rule("/v1/payment_intents", methods=["POST"], endpoint="create_pi"),
                Rule("/v1/payment_intents/<id>", methods=["GET"], endpoint="get_pi"),
                Rule("/v1/payment_intents/<id>", methods=["POST"], endpoint="update_pi"),
                Rule("/v1/payment_intents/<id>/confirm", methods=["POST"], endpoint="confirm_pi"),
                Rule("/v1/payment_intents/<id>/cancel", methods=["POST"], endpoint="cancel_pi"),
                Rule("/v1/charges/<id>", methods=["GET"], endpoint="get_charge"),
                Rule("/v1/payment_methods/<id>", methods=["GET"], endpoint="get_payment_method"),
                Rule("/v1/refunds", methods=["POST"], endpoint="create_refund"),
                Rule("/v1/refunds", methods=["GET"], endpoint="list_refunds"),
                Rule("/v1/refunds/<id>", methods=["GET"], endpoint="get_refund"),
                Rule("/v1/accounts", methods=["POST"], endpoint="create_account"),
                Rule("/v1/accounts/<id>", methods=["GET"], endpoint="get_account"),
                Rule("/v1/transfers", methods=["POST"], endpoint="create_transfer"),
                Rule("/v1/transfers", methods=["GET"], endpoint="list_transfers"),
                Rule("/v1/transfers/<id>", methods=["GET"], endpoint="get_transfer"),
                Rule("/v1/transfers/<id>/reversals", methods=["POST"], endpoint="create_reversal"),
                Rule("/v1/transfers/<id>/reversals", methods=["GET"], endpoint="list_reversals"),
                Rule("/v1/events/<id>", methods=["GET"], endpoint="get_event"),
                Rule("/pay/<id>", methods=["GET", "POST"], endpoint="pay"),
                Rule("/v3/", methods=["GET"], endpoint="stripe_js"),
                Rule("/_control/faults", methods=["POST", "DELETE"], endpoint="control_faults"),
                Rule("/_control/webhooks/hold", methods=["POST"], endpoint="control_hold"),
                Rule("/_control/webhooks/release", methods=["POST"], endpoint="control_release"),
                Rule("/_control/events", methods=["GET"], endpoint="control_events"),
                Rule("/_control/events/<id>/redeliver", methods=["POST"], endpoint="control_redeliver"),
                Rule("/_control/deliveries", methods=["GET"], endpoint="control_deliveries"),
                Rule("/_control/payment_intents/<id>/settle", methods=["POST"], endpoint="control_settle"),
            ],
            strict_slashes=False,
        )

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.provider.public_url is None:
            self.provider.public_url = request.host_url.rstrip("/")
        fault = self.provider.take_fault(request.method, request.path) if request.path.startswith("/v1") else None
        if fault is not None and fault.status is not None:
            time.sleep(fault.delay)
            response = self.fault_response(request, fault)
        else:
            response = self.dispatch(request)
            if fault is not None:  # executed and saved; only the answer is late
                time.sleep(fault.delay)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            if request.path.startswith("/v1"):
                return self.json(
                    404,
                    invalid(
                        f"Unrecognized request URL ({request.method}: {request.path}). "
                        "Please see https://stripe.com/docs.",
                        status=404,
                    ).body(),
                )
            return Response("Not found", status=404)
        if endpoint == "stripe_js":
            return Response(stripe_js(self.provider.public_url or ""), mimetype="text/javascript")
        with self.provider.lock:
            if endpoint == "pay":
                return self.pay_page.handle(request, args["id"])
            if endpoint.startswith("control_"):
                return self.control(endpoint, request, args)
            return self.api_call(endpoint, request, args)

    # -- the API -------------------------------------------------------------------------------

    def api_call(self, endpoint: str, request: Request, args: dict) -> Response:
        request_id = new_id("req", 14)
        idempotency_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        api_key = self.api_key(request)
        pairs = (
            parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
            if request.method == "POST"
            else list(request.args.items(multi=True))
        )
        browser = self.browser_key(pairs, args["id"]) if api_key is None and endpoint == "confirm_pi" else None
        if browser:  # Stripe.js: the key and secret authenticate, they are no parameters of the confirmation
            api_key, pairs = browser, [(name, value) for name, value in pairs if name not in ("key", "client_secret")]
        if api_key is None:
            return self.record(request, self.json(401, self.auth_error(request).body(), request_id), idempotency_key)
        try:
            raw = parse_params(pairs)
        except StripeError as error:
            return self.record(request, self.json(error.status, error.body(), request_id), idempotency_key)
        endpoint_name = f"{request.method} {request.path}"
        fingerprint = json.dumps(raw, sort_keys=True)
        if idempotency_key is not None:
            saved = self.provider.idempotency.lookup(api_key, idempotency_key)
            if saved is not None:
                return self.record(
                    request,
                    self.replay(saved, idempotency_key, endpoint_name, fingerprint),
                    idempotency_key,
                    replayed=saved.fingerprint == fingerprint and saved.endpoint == endpoint_name,
                )
        handler, allowed = self.api[endpoint]
        self.provider._request = (request_id, idempotency_key)
        try:
            params = Params(raw, allowed)
            obj = handler(*args.values(), params)  # path ids first, as in the provider's methods
            status, body, keep = 200, self.provider.expand(obj, params.expand()), True
        except StripeError as error:
            status, body, keep = error.status, error.body(), error.saved
        except Exception:  # a bug here: answer like Stripe's 500s (which the library retries), and log it
            logger.exception("payment provider failed on %s %s", request.method, request.path)
            status, body, keep = 500, StripeError(500, "api_error", "An unknown error occurred.").body(), False
        finally:
            self.provider._request = (None, None)
        response = self.json(status, body, request_id)
        if browser:  # the pay page's origin reads the answer, as Stripe's API allows any origin to
            response.headers["Access-Control-Allow-Origin"] = "*"
        if idempotency_key is not None:
            response.headers["Idempotency-Key"] = idempotency_key
            if keep:
                self.provider.idempotency.save(
                    api_key,
                    idempotency_key,
                    SavedResponse(
                        endpoint_name,
                        fingerprint,
                        status,
                        response.get_data(as_text=True),
                        request_id,
                        self.provider.clock(),
                    ),
                )
        return self.record(request, response, idempotency_key)

    def replay(self, saved: SavedResponse, key: str, endpoint: str, fingerprint: str) -> Response:
        if saved.endpoint != endpoint:
            error = StripeError(
                400,
                "idempotency_error",
                f"Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
            )
            return self.json(400, error.body(), new_id("req", 14))
        if saved.fingerprint != fingerprint:
            error = StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
            )
            return self.json(400, error.body(), new_id("req", 14))
        response = Response(saved.body, status=saved.status, mimetype="application/json")
        response.headers.update(
            {
                "Request-Id": new_id("req", 14),
                "Idempotency-Key": key,
                "Idempotent-Replayed": "true",
                "Original-Request": saved.request_id,
                "Stripe-Version": API_VERSION,
            }
        )
        return response

    @staticmethod
    def api_key(request: Request) -> str | None:
        """The test secret key from `Authorization: Bearer sk_test_…` (or Basic, as curl -u sends)."""
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials).decode().split(":", 1)[0]
            except ValueError:
                return None
        elif scheme.lower() != "bearer":
            return None
        return credentials if _API_KEY.match(credentials) else None

    def browser_key(self, pairs: list[tuple[str, str]], pi_id: str) -> str | None:
        """The publishable key of a confirmation from a browser (Stripe.js holds no secret key): accepted with
        the PaymentIntent's own client secret, for confirming that PaymentIntent only."""
        form = dict(pairs)
        key, secret = form.get("key", ""), form.get("client_secret", "")
        pi = self.provider.objects.get(pi_id)
        if not _PUBLISHABLE_KEY.match(key) or pi is None or pi["object"] != "payment_intent":
            return None
        return key if hmac.compare_digest(secret, pi["client_secret"]) else None

    @staticmethod
    def auth_error(request: Request) -> StripeError:
        header = request.headers.get("Authorization", "")
        if not header:
            message = (
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
            )
        else:
            shown = header.split(" ")[-1]
            message = (
                f"Invalid API Key provided: {shown[:8]}{'*' * max(0, len(shown) - 12)}{shown[-4:]} "
                "(Podium's local payment provider accepts test keys only: sk_test_…)"
            )
        return StripeError(401, "invalid_request_error", message)

    def fault_response(self, request: Request, fault: Fault) -> Response:
        status = fault.status
        if status >= 500:
            error = StripeError(
                status, "api_error", "An unknown error occurred (injected by Podium's local payment provider)."
            )
        else:
            error = invalid(
                "Injected failure (Podium's local payment provider).",
                status=status,
                code={429: "rate_limit", 409: "lock_timeout"}.get(status),
            )
        response = self.json(status, error.body(), new_id("req", 14))
        with self.provider.lock:
            self.record(request, response, request.headers.get("Idempotency-Key"), fault=True)
        return response

    def record(
        self, request: Request, response: Response, key: str | None, *, replayed: bool = False, fault: bool = False
    ) -> Response:
        with self.provider.lock:
            self.provider.api_requests.append(
                ApiRequest(request.method, request.path, response.status_code, key, replayed, fault)
            )
        return response

    @staticmethod
    def json(status: int, body: dict, request_id: str | None = None) -> Response:
        response = Response(json.dumps(body, indent=2), status=status, mimetype="application/json")
        response.headers["Stripe-Version"] = API_VERSION
        if request_id:
            response.headers["Request-Id"] = request_id
        return response

    # -- controls ------------------------------------------------------------------------------

    def control(self, endpoint: str, request: Request, args: dict) -> Response:
        """A JSON mirror of the handle's controls, for a provider running in another process."""
        p, body = self.provider, request.get_json(silent=True) or {}
        try:
            if endpoint == "control_faults" and request.method == "DELETE":
                p.faults.clear()
                result: Any = {"faults": []}
            elif endpoint == "control_faults":
                fault = p.inject(
                    body["path_prefix"],
                    body.get("status", 500),
                    int(body.get("count", 1)),
                    delay=float(body.get("delay", 0.0)),
                    method=body.get("method"),
                )
                result = {"fault": fault.__dict__}
            elif endpoint == "control_hold":
                p.webhooks.hold()
                result = {"held": True}
            elif endpoint == "control_release":
                result = {"released": p.webhooks.release(body.get("order"))}
            elif endpoint == "control_events":
                result = {"data": copy.deepcopy(p.events)}
            elif endpoint == "control_redeliver":
                p.get("event", args["id"])
                p.webhooks.redeliver(args["id"])
                result = {"redelivered": args["id"]}
            elif endpoint == "control_deliveries":
                result = {"data": [dict(delivery.__dict__, ok=delivery.ok) for delivery in p.webhooks.deliveries]}
            else:  # control_settle
                result = p.settle(args["id"], bool(body.get("succeeded", True)))
        except StripeError as error:
            return self.json(error.status, error.body())
        except (KeyError, TypeError, ValueError) as error:
            return self.json(400, invalid(f"Bad control request: {error}").body())
        return self.json(200, result)


# --------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------


@dataclass
class PaymentProviderHandle(BackgroundServer):
    """A running provider: its address, its webhook settings, what it did, and its controls."""

    provider: PaymentProvider = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def webhook_secret(self) -> str:
        return self.provider.webhooks.secret

    @property
    def webhook_url(self) -> str | None:
        return self.provider.webhooks.url

    def set_webhook_url(self, url: str | None) -> None:
        """Where events created from now on are POSTed (None: nowhere, like having no endpoint)."""
        with self.provider.lock:
            self.provider.webhooks.url = url

    @property
    def events(self) -> list[dict]:
        """Every event created so far, oldest first (copies)."""
        with self.provider.lock:
            return copy.deepcopy(self.provider.events)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery attempt so far, in the order they finished."""
        with self.provider.lock:
            return list(self.provider.webhooks.deliveries)

    @property
    def api_requests(self) -> list[ApiRequest]:
        """Every `/v1` request so far (status, idempotency key, replayed, injected fault)."""
        with self.provider.lock:
            return list(self.provider.api_requests)

    def inject(
        self,
        path_prefix: str,
        status: int | None = 500,
        count: int = 1,
        *,
        delay: float = 0.0,
        method: str | None = None,
    ) -> Fault:
        """Fail the next `count` API requests under `path_prefix` (see `Fault`)."""
        return self.provider.inject(path_prefix, status, count, delay=delay, method=method)

    def clear_faults(self) -> None:
        with self.provider.lock:
            self.provider.faults.clear()

    def redeliver(self, event_id: str) -> None:
        """Send an already created event again, same id and same body (at-least-once delivery)."""
        self.provider.webhooks.redeliver(event_id)

    def hold_deliveries(self) -> None:
        """Park events created from now on until `release_deliveries`."""
        self.provider.webhooks.hold()

    def release_deliveries(self, order: str | Iterable[str] | None = None) -> list[str]:
        """Send the parked events: in creation order, `"reverse"`, or these event ids first."""
        return self.provider.webhooks.release(order)

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery (retries included) has been attempted."""
        return self.provider.webhooks.wait_idle(timeout)

    def settle(self, payment_intent_id: str, succeeded: bool = True) -> dict:
        """Finish a `processing` PaymentIntent (Bancontact "approve, processed later")."""
        return copy.deepcopy(self.provider.settle(payment_intent_id, succeeded))

    def stop(self) -> None:
        super().stop()
        self.provider.webhooks.stop()


def start_payment_provider(
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
    *,
    webhook_max_attempts: int = 5,
    webhook_backoff: float = 0.05,
    webhook_timeout: float = 5.0,
) -> PaymentProviderHandle:
    """Serve a fresh provider from a daemon thread on host:port (0 = a free port)."""
    provider = PaymentProvider(
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_max_attempts=webhook_max_attempts,
        webhook_backoff=webhook_backoff,
        webhook_timeout=webhook_timeout,
    )
    # A short poll interval: stop() (server.shutdown) waits up to one interval.
    server, thread = serve_in_background(PaymentProviderApp(provider), host, port, "payments", poll_interval=0.05)
    provider.public_url = f"http://{host}:{server.server_port}"
    provider.webhooks.start()
    return PaymentProviderHandle(host, server.server_port, server, thread, provider)
