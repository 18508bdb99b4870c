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
    payment_publishable_key: str
    events_topic_arn: str
    staff_token_secret_arn: str
    hold_ttl_seconds: int
    max_seats_per_hold: int
    default_language: str
    mail_from: str
    ticket_key_secret_arn: str
    checkout_state_machine_arn: str
    refund_state_machine_arn: str
    settlement_state_machine_arn: str
    erasure_state_machine_arn: str
    payment_grace_seconds: int
    public_base_url: str
    staff_keys_max_age: int
    unknown_kid_refresh_seconds: int
    cognito_issuer: str
    cognito_client_id: str
    rate_limit_window_seconds: int
    rate_limit_per_address: int
    rate_limit_per_session: int
    admission_key_secret_arn: str = ""
    # Gift-card and discount-code lookups and applications: a much tighter limit, so codes cannot be guessed.
    code_attempt_window_seconds: int = 600
    code_attempts_per_address: int = 30
    code_attempts_per_session: int = 10
    connection_pool_size: int = 10
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_api_url: str = "https://api.stripe.com"


def get_settings() -> Settings:
    """The stage's settings as the environment gives them now: read at every call, which costs
    microseconds, so there is no cached copy that could differ from the environment."""
    env = os.environ
    return Settings(
        stage=env.get("PODIUM_STAGE", "demo"),
        cluster_name=env.get("PODIUM_CLUSTER_NAME", "Podium"),
        table_name=env.get("TABLE_NAME", "podium-demo-MainTable"),
        customer_table_name=env.get("CUSTOMER_TABLE_NAME", "podium-demo-CustomerTable"),
        customer_key_secret_arn=env.get("CUSTOMER_KEY_SECRET_ARN", ""),
        payment_secret_arn=env.get("PAYMENT_SECRET_ARN", ""),
        payment_api_base=env.get("PAYMENT_API_BASE", ""),  # the server's API base; empty: Stripe itself
        payment_publishable_key=env.get("PAYMENT_PUBLISHABLE_KEY", ""),  # pk_…: Stripe.js on the pay page
        # Where the pay page's browser reaches Stripe: Stripe.js (always loaded from Stripe, their rule) and the
        # API it confirms against; the page's CSP lets exactly these through. A stand-in of Stripe is named here.
        stripe_js_url=env.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        stripe_api_url=env.get("STRIPE_API_URL", "https://api.stripe.com"),
        events_topic_arn=env.get("EVENTS_TOPIC_ARN", ""),
        staff_token_secret_arn=env.get("STAFF_TOKEN_SECRET_ARN", ""),
        hold_ttl_seconds=int(env.get("HOLD_TTL_SECONDS", "900")),
        max_seats_per_hold=int(env.get("MAX_SEATS_PER_HOLD", "10")),
        default_language=env.get("PODIUM_DEFAULT_LANGUAGE", "nl"),
        ticket_key_secret_arn=env.get("TICKET_KEY_SECRET_ARN", ""),
        checkout_state_machine_arn=env.get("CHECKOUT_STATE_MACHINE_ARN", ""),
        refund_state_machine_arn=env.get("REFUND_STATE_MACHINE_ARN", ""),
        settlement_state_machine_arn=env.get("SETTLEMENT_STATE_MACHINE_ARN", ""),
        erasure_state_machine_arn=env.get("ERASURE_STATE_MACHINE_ARN", ""),
        payment_grace_seconds=int(env.get("PAYMENT_GRACE_SECONDS", "120")),
        mail_from=env.get("PODIUM_MAIL_FROM", "tickets@podium.local"),  # an SES-verified sender on AWS
        public_base_url=env.get("PODIUM_PUBLIC_BASE_URL", ""),  # where buyers reach the API (links in e-mails)
        staff_keys_max_age=int(env.get("STAFF_KEYS_MAX_AGE", "300")),  # seconds a fetched staff keyring is reused
        # A token naming an unknown kid refetches the keys (a rotation) at most this often (not at every forgery).
        unknown_kid_refresh_seconds=int(env.get("UNKNOWN_KID_REFRESH_SECONDS", "30")),
        # A Cognito user pool's issuer URL and app client id: its ID tokens are staff tokens too.
        cognito_issuer=env.get("COGNITO_ISSUER", ""),
        cognito_client_id=env.get("COGNITO_CLIENT_ID", ""),
        # Public writes per client address and per buyer session in one window; 0 switches a limit off.
        rate_limit_window_seconds=int(env.get("RATE_LIMIT_WINDOW_SECONDS", "60")),
        rate_limit_per_address=int(env.get("RATE_LIMIT_PER_ADDRESS", "600")),
        rate_limit_per_session=int(env.get("RATE_LIMIT_PER_SESSION", "120")),
        admission_key_secret_arn=env.get("ADMISSION_KEY_SECRET_ARN", ""),  # the waiting room's HMAC key
        code_attempt_window_seconds=int(env.get("RATE_LIMIT_CODE_WINDOW_SECONDS", "600")),
        code_attempts_per_address=int(env.get("RATE_LIMIT_CODES_PER_ADDRESS", "30")),
        code_attempts_per_session=int(env.get("RATE_LIMIT_CODES_PER_SESSION", "10")),
        # HTTP connections each AWS client keeps: a Lambda serves one request at a time, so botocore's
        # default is plenty; a process that serves requests on many threads sharing one client sets more.
        connection_pool_size=int(env.get("CONNECTION_POOL_SIZE", "10")),
    )
