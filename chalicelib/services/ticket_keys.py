"""The cluster's ticket signing keys, from Secrets Manager (cached five minutes)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities import parameters

from ..domain.tickets import TicketSigner, TicketVerifier, keys_from_seeds, public_key_pem
from ..settings import get_settings

SECRET_MAX_AGE = 300


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        parameters.get_secret(get_settings().ticket_key_secret_arn, max_age=SECRET_MAX_AGE)
    )
    return document


def signer() -> TicketSigner:
    active, keys, _ = keys_from_seeds(_document())
    return TicketSigner(keys[active], active)


def verifier(leeway_seconds: int = 120) -> TicketVerifier:
    """Checks tickets with the published keys (a door's clock may drift: two minutes either way)."""
    _, keys, retired = keys_from_seeds(_document())
    return TicketVerifier({kid: key.public_key() for kid, key in keys.items()}, retired, leeway_seconds)


def public_keys() -> dict[str, str]:
    """PEM public key per kid still in use, for scanners that verify offline."""
    _, keys, retired = keys_from_seeds(_document())
    return {kid: public_key_pem(key.public_key()) for kid, key in keys.items() if kid not in retired}
