"""A small JSON-over-HTTP client with the retry rules every outside service gets.

Transient answers (429, 500, 502, 503, 504, time-outs, refused connections) are retried with
exponential backoff and jitter; a `Retry-After` header (seconds) is honoured up to a cap. After
the last attempt `ServiceUnavailable` is raised, so the SQS message comes back later and, after a
few receives, lands in the dead-letter queue. Any other 4xx is `ServiceRejected`: retrying the
same request would not help. The standard library only: no extra dependency in every Lambda.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

TRANSIENT = {429, 500, 502, 503, 504}


class IntegrationError(Exception):
    """An outside service did not do what was asked."""

    def __init__(self, message: str, status: int | None = None, problem: Any = None):
        super().__init__(message)
        self.status = status
        self.problem = problem


class ServiceUnavailable(IntegrationError):
    """Still failing after every retry (5xx, 429, time-out): try the message again later."""


class ServiceRejected(IntegrationError):
    """A 4xx other than 429: the request itself is wrong (or refers to something unknown)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class HttpClient:
    max_attempts: int = 4
    backoff_seconds: float = 0.2
    max_retry_after_seconds: float = 10.0
    timeout_seconds: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    attempts_made: int = 0  # for metrics and tests

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        form: dict | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> HttpResponse:
        """Send one request, retrying transient failures; the answer if its status is in `ok`."""
        data, all_headers = None, {"Accept": "application/json", **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = content_type
        elif form is not None:
            data = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        last: IntegrationError | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.attempts_made += 1
            response, wait = None, None
            try:
                response = self._send(method, url, data, all_headers)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last = ServiceUnavailable(f"{method} {url}: {getattr(error, 'reason', error)}")
            else:
                if response.status in ok:
                    return response
                problem = _problem(response)
                if response.status not in TRANSIENT:
                    raise ServiceRejected(f"{method} {url} answered {response.status}", response.status, problem)
                last = ServiceUnavailable(f"{method} {url} answered {response.status}", response.status, problem)
                wait = _retry_after(response.headers.get("retry-after"))
            if attempt < self.max_attempts:
                backoff = self.backoff_seconds * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
                self.sleep(min(self.max_retry_after_seconds, wait) if wait is not None else backoff)
        assert last is not None
        raise last

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> HttpResponse:
        if not url.startswith(("https://", "http://")):  # the stage's base URLs: never file: or another scheme
            raise ValueError(f"not an http(s) URL: {url[:40]}")
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            # bandit B310 (urlopen of a file: URL): scheme checked, never a caller's URL.
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:  # nosec B310
                return HttpResponse(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _problem(response: HttpResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.body[:500].decode(errors="replace")


def client_from_settings(settings) -> HttpClient:
    return HttpClient(
        max_attempts=settings.max_attempts,
        backoff_seconds=settings.backoff_seconds,
        max_retry_after_seconds=settings.max_retry_after_seconds,
        timeout_seconds=settings.timeout_seconds,
    )
