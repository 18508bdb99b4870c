"""Where the outside services are and how hard to try: the stage's environment, read when asked.

Base URLs are per stage (`.chalice/config.json`; the embedded stack points them at its local
servers); credentials sit in Secrets Manager (`PubliqSecret`, `ExchangeSecret`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class IntegrationSettings:
    publiq_auth_url: str
    uitdatabank_url: str
    uitpas_url: str
    exchange_url: str
    publiq_secret_arn: str
    exchange_secret_arn: str
    idempotency_table_name: str
    max_attempts: int
    backoff_seconds: float
    max_retry_after_seconds: float
    timeout_seconds: float


def integration_settings() -> IntegrationSettings:
    env = os.environ
    return IntegrationSettings(
        publiq_auth_url=env.get("PUBLIQ_AUTH_URL", "").rstrip("/"),
        uitdatabank_url=env.get("UITDATABANK_URL", "").rstrip("/"),
        uitpas_url=env.get("UITPAS_URL", "").rstrip("/"),
        exchange_url=env.get("EXCHANGE_URL", "").rstrip("/"),
        publiq_secret_arn=env.get("PUBLIQ_SECRET_ARN", ""),
        exchange_secret_arn=env.get("EXCHANGE_SECRET_ARN", ""),
        idempotency_table_name=env.get("IDEMPOTENCY_TABLE_NAME", "podium-demo-IdempotencyTable"),
        max_attempts=int(env.get("INTEGRATION_MAX_ATTEMPTS", "4")),
        backoff_seconds=float(env.get("INTEGRATION_BACKOFF_SECONDS", "0.2")),
        max_retry_after_seconds=float(env.get("INTEGRATION_MAX_RETRY_AFTER_SECONDS", "10")),
        timeout_seconds=float(env.get("INTEGRATION_TIMEOUT_SECONDS", "5")),
    )
