"""The UiTwisselingsplatform adapter: POSTs one JSON-LD document per domain event.

There is no public ingestion contract yet (CONTRACTS.md): this is the only place that knows
the transport (`POST {EXCHANGE_URL}/transactions`, `application/ld+json`, bearer API key from
`ExchangeSecret`). The mapping itself is `chalicelib/domain/exchange.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities import parameters

from .config import integration_settings
from .http import HttpClient, client_from_settings

SECRET_MAX_AGE = 300


def exchange_secret() -> dict:
    return json.loads(parameters.get_secret(integration_settings().exchange_secret_arn, max_age=SECRET_MAX_AGE))


@dataclass
class ExchangeClient:
    base_url: str
    api_key: str
    http: HttpClient

    def publish(self, document: dict) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self.http.request(
            "POST",
            self.base_url + "/transactions",
            json_body=document,
            headers=headers,
            content_type="application/ld+json",
            ok=(200, 201, 202, 204),
        )


def client() -> ExchangeClient | None:
    """The platform's client, or None while the stage has no platform address configured."""
    settings = integration_settings()
    if not settings.exchange_url:
        return None
    return ExchangeClient(settings.exchange_url, exchange_secret().get("api_key", ""), client_from_settings(settings))
