"""Rate limits of the public routes that write (holds, carts, sessions, checkout, the pages' forms).

Each call counts against its client address (API Gateway's `sourceIp`, never a header the client
writes) and, when it names one, its buyer session (`X-Podium-Session`, or the pages' session
cookie). Over either limit: 429 `rate_limited` with `Retry-After`. The limits are the stage's
(`RATE_LIMIT_PER_ADDRESS`, `RATE_LIMIT_PER_SESSION` per `RATE_LIMIT_WINDOW_SECONDS`; 0: off).

Typing a gift-card or discount code (looking one up, putting one on a cart, on the API or the cart
page) also counts against a much tighter limit of its own, so that codes cannot be guessed at speed
(`RATE_LIMIT_CODES_PER_ADDRESS`, `RATE_LIMIT_CODES_PER_SESSION` per `RATE_LIMIT_CODE_WINDOW_SECONDS`).
"""

from __future__ import annotations

from chalice.app import Request

from .. import ports
from ..domain.errors import RateLimited
from ..domain.limits import window_at
from ..services import rate_limits
from ..settings import get_settings
from .sessions import buyer_session_of


def client_address(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def enforce_rate_limits(request: Request) -> None:
    """Count this call; RateLimited (429) when its address or buyer session is over the limit."""
    settings = get_settings()
    _enforce(
        request,
        "",
        settings.rate_limit_window_seconds,
        settings.rate_limit_per_address,
        settings.rate_limit_per_session,
        "calls",
    )


def enforce_code_attempt_limits(request: Request) -> None:
    """Count one typed gift-card or discount code; RateLimited (429) when its address or buyer session has
    typed too many in the window, whether they existed or not."""
    settings = get_settings()
    _enforce(
        request,
        "CODE#",
        settings.code_attempt_window_seconds,
        settings.code_attempts_per_address,
        settings.code_attempts_per_session,
        "codes tried",
    )


def _enforce(
    request: Request, counter: str, window_seconds: int, per_address: int, per_session: int, what: str
) -> None:
    window = window_at(ports.clock().now(), max(1, window_seconds))
    checks = [("ADDR", client_address(request), per_address)]
    session = buyer_session_of(request)
    if session is not None:
        checks.append(("SESSION", session, per_session))
    for kind, client, limit in checks:
        if limit > 0 and not rate_limits.take(counter + kind, client, window, limit):
            raise RateLimited(
                f"Too many {what} from this {'buyer session' if kind == 'SESSION' else 'address'}; "
                f"try again in {window.ends_in} s.",
                retry_after=window.ends_in,
                limit=limit,
                window_seconds=window_seconds,
            )
