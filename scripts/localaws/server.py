"""moto's server app made safe for many concurrent clients: one process-wide lock, and its dispatcher's
module list read once.

moto 5.2's server is not safe under concurrent requests: werkzeug serves each request in its own thread
and moto's backends have no locks. The worst case is DynamoDB `TransactWriteItems`: moto deep-copies every
table the transaction touches and, if the transaction fails, puts the copy back, so a concurrent request's
acknowledged write that landed in between is silently lost, two racing transactions can both "win" the
same seat (oversell), and readers iterating a table while it is swapped get 500s ("dictionary changed size
during iteration"). `LockedMotoApp` serves moto behind ONE process-wide lock, so requests run one at a
time; the fast paths of `dynamodb` rely on it. Lambda invocations are the exception: the function calls
back into moto, so holding the lock across an invoke would deadlock.

A request whose header `BACKGROUND_HEADER` is "1" (workflow tasks, queue consumers, sweepers: nobody waits
on its answer right now) is served after the others unless it has waited its patience
(`fairness.FairSemaphore`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable
from typing import Any

from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

from . import patching
from .digests import DigestRoute
from .fairness import FairLock, FairSemaphore
from .priority import BACKGROUND_HEADER, is_background

__all__ = [
    "BACKGROUND_HEADER",
    "LockedMotoApp",
    "MOTO_LOCK",
    "QuietMotoRequestHandler",
    "apply",
    "install_module_list_cache",
    "is_background",
    "is_lambda_invocation",
    "uninstall_module_list_cache",
]

# What the patches replace or rely on, as last reviewed (see dynamodb.UPSTREAM).
UPSTREAM = {
    "moto.backends:list_of_moto_modules": "4f741a10b06500e8",
    # Calls list_of_moto_modules() for every request (moto's dispatcher).
    "moto.moto_server.werkzeug_app:DomainDispatcherApplication.get_backend_for_host": "105a0141fcfd0a6d",
    # `QuietMotoRequestHandler` overrides it.
    "werkzeug.serving:WSGIRequestHandler.log_request": "57821b6e33bee060",
}

# One lock per PROCESS, not per app: moto's backends are module globals, so two servers in one
# process (a test's and the stack's) share the same state and must share the lock too.
# First-come first-served: with `threading.Lock` a releasing thread could take the lock again
# ahead of dozens of queued gateway threads and starve some of them for seconds.
MOTO_LOCK = FairLock()


def is_lambda_invocation(path: str) -> bool:
    """Lambda Invoke (and the legacy InvokeAsync): moto runs the function while the request is
    open, and the function calls moto back. Holding the lock across it would deadlock."""
    path = path.rstrip("/")
    return "/functions/" in path and (path.endswith("/invocations") or path.endswith("/invoke-async"))


def _buffer_request_body(environ: dict[str, Any]) -> None:
    """Read the request body before taking the lock, so a slow upload does not stall everyone."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        environ["wsgi.input"] = io.BytesIO(stream.read(length))
    elif environ.get("wsgi.input_terminated"):  # chunked: werkzeug ends the stream for us
        environ["wsgi.input"] = io.BytesIO(stream.read())


class LockedMotoApp:
    """moto's WSGI app with every request (except Lambda invocations) under `MOTO_LOCK`."""

    def __init__(self, app: Callable | None = None, lock: FairSemaphore = MOTO_LOCK):
        # The tests' table digests (`digests.PATH`) run under the lock like any request.
        self.app = app if app is not None else DigestRoute(DomainDispatcherApplication(create_backend_app))
        self.lock = lock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if is_lambda_invocation(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        _buffer_request_body(environ)
        self.lock.acquire(background=is_background(environ))  # a buyer's call goes first
        try:
            # Flask may hand back a lazy iterable whose iteration still runs moto code (and its
            # close() runs teardown): produce the whole body before letting the next request in.
            response = self.app(environ, start_response)
            try:
                return [bytes(chunk) for chunk in response]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
        finally:
            self.lock.release()


class QuietMotoRequestHandler(MotoRequestHandler):
    """moto's handler without one access-log line per request (thousands in a sale burst).
    Errors are still logged."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


# moto's dispatcher lists its package directory on the disk for every request to find the service a host
# names; the list does not change while the process runs.
@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(patching.original(backends, "list_of_moto_modules")())


def install_module_list_cache() -> None:
    patching.replace(backends, "list_of_moto_modules", lambda original: _moto_modules)


def uninstall_module_list_cache() -> None:
    patching.restore(backends, "list_of_moto_modules")


def apply() -> None:
    install_module_list_cache()
