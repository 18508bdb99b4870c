"""publiq's client-credentials token (UiTdatabank and UiTPAS share it), cached per process.

`POST {auth}/realms/uitid/protocol/openid-connect/token` with `grant_type=client_credentials`
answers `access_token` and `expires_in`. The token is opaque (never decoded), reused until
shortly before it expires, and fetched anew once when an API answers 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities import parameters

from .config import integration_settings
from .http import HttpClient, HttpResponse, ServiceRejected, client_from_settings

TOKEN_PATH = "/realms/uitid/protocol/openid-connect/token"
REFRESH_MARGIN_SECONDS = 60  # a token this close to its expiry is replaced before use
SECRET_MAX_AGE = 300


@dataclass
class TokenProvider:
    auth_url: str
    client_id: str
    client_secret: str
    http: HttpClient
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    fetched: int = 0  # how many tokens were asked for (tests and metrics)
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._expires - REFRESH_MARGIN_SECONDS:
                self._fetch()
            return self._token  # type: ignore[return-value]

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        answer = self.http.request(
            "POST",
            self.auth_url + TOKEN_PATH,
            form={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
        )
        document = answer.json()
        self._token = document["access_token"]
        self._expires = self.clock() + float(document.get("expires_in", 300))
        self.fetched += 1


@dataclass
class PubliqApi:
    """Authorised calls to one of publiq's APIs (a base URL) with the cluster's client token."""

    base_url: str
    tokens: TokenProvider
    http: HttpClient

    def call(
        self, method: str, path: str, *, json_body: Any = None, ok: tuple[int, ...] = (200, 201, 204)
    ) -> HttpResponse:
        for attempt in (1, 2):
            token = self.tokens.token()
            try:
                return self.http.request(
                    method,
                    self.base_url + path,
                    json_body=json_body,
                    ok=ok,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except ServiceRejected as rejected:
                if rejected.status != 401 or attempt == 2:
                    raise
                self.tokens.invalidate(token)  # revoked or expired early: one new token, one more try
        raise AssertionError("unreachable")


_providers: dict[tuple[str, str], TokenProvider] = {}
_providers_lock = threading.Lock()


def credentials() -> tuple[str, str]:
    document = json.loads(parameters.get_secret(integration_settings().publiq_secret_arn, max_age=SECRET_MAX_AGE))
    return document.get("client_id", ""), document.get("client_secret", "")


def token_provider() -> TokenProvider:
    """The process's token cache for the cluster's credentials (one per auth server and client)."""
    settings = integration_settings()
    client_id, client_secret = credentials()
    key = (settings.publiq_auth_url, client_id)
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None or provider.client_secret != client_secret:
            provider = TokenProvider(settings.publiq_auth_url, client_id, client_secret, client_from_settings(settings))
            _providers[key] = provider
        return provider


def api(base_url: str) -> PubliqApi:
    return PubliqApi(base_url, token_provider(), client_from_settings(integration_settings()))
