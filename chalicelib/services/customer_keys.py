"""The cluster's customer key: every house's customer ids and the buyer's id (its links, its tokens) derive from
it, so the same address is the same buyer across the cluster without the address being stored as a key."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from ..settings import get_settings


def cluster_key() -> bytes:
    return parameters.get_secret(get_settings().customer_key_secret_arn, max_age=300).encode()
