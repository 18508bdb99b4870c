"""The header by which a request asks moto's lock (server.LockedMotoApp) to serve it after buyers' requests.

Apart from `server` so that the processes that only send requests (the gateway, the local Lambda service)
can mark them without importing moto.
"""

from __future__ import annotations

from typing import Any

BACKGROUND_HEADER = "X-Podium-Background"
_BACKGROUND_WSGI_KEY = "HTTP_" + BACKGROUND_HEADER.upper().replace("-", "_")


def is_background(environ: dict[str, Any]) -> bool:
    """The request says it is background work (nobody waits on its answer right now)."""
    return environ.get(_BACKGROUND_WSGI_KEY) == "1"
