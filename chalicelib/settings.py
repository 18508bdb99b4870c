"""Settings of this cluster stage, read once from the environment.

The same variables are set by CloudFormation on AWS and by the embedded stack locally;
nothing else differs between the two.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    stage: str
    cluster_name: str
    table_name: str
    customer_table_name: str
    customer_key_secret_arn: str
    payment_secret_arn: str
    payment_api_base: str
    events_topic_arn: str
    staff_token_secret_arn: str
    hold_ttl_seconds: int
    max_seats_per_hold: int
    default_language: str


def get_settings() -> Settings:
    """The stage's settings as the environment gives them now (cheap; not cached, so a process
    that sets its environment late, like the embedded stack's supervisor, still sees it)."""
    env = os.environ
    return Settings(
        stage=env.get("PODIUM_STAGE", "demo"),
        cluster_name=env.get("PODIUM_CLUSTER_NAME", "Podium"),
        table_name=env.get("TABLE_NAME", "podium-demo-MainTable"),
        customer_table_name=env.get("CUSTOMER_TABLE_NAME", "podium-demo-CustomerTable"),
        customer_key_secret_arn=env.get("CUSTOMER_KEY_SECRET_ARN", ""),
        payment_secret_arn=env.get("PAYMENT_SECRET_ARN", ""),
        payment_api_base=env.get("PAYMENT_API_BASE", ""),  # empty: Stripe itself; locally the provider
        events_topic_arn=env.get("EVENTS_TOPIC_ARN", ""),
        staff_token_secret_arn=env.get("STAFF_TOKEN_SECRET_ARN", ""),
        hold_ttl_seconds=int(env.get("HOLD_TTL_SECONDS", "900")),
        max_seats_per_hold=int(env.get("MAX_SEATS_PER_HOLD", "10")),
        default_language=env.get("PODIUM_DEFAULT_LANGUAGE", "nl"),
    )
