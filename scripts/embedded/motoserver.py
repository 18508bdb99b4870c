"""moto's server as the embedded stack runs it: behind the local AWS's global lock, with its fast paths.

The patches and the lock are `scripts.localaws` (its README says what each changes and why); this module
serves them on a port of 127.0.0.1 from a daemon thread, and points moto's callbacks (Step Functions'
Lambda tasks) at that port.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from scripts.localaws import patches
from scripts.localaws.server import LockedMotoApp, QuietMotoRequestHandler

from .serving import BackgroundServer, serve_in_background


@dataclass
class MotoServer(BackgroundServer):
    _previous_moto_port: str | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Forget all state of all moto backends (process-wide, like moto's own reset)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        # bandit B310 (urlopen of a file: URL): our own local http URL, never a caller's URL.
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310
            response.read()

    def stop(self) -> None:
        super().stop()
        if os.environ.get("MOTO_PORT") == str(self.port):  # leave another server's setting alone
            if self._previous_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._previous_moto_port


def serve(app: Callable, host: str = "127.0.0.1", port: int = 0) -> MotoServer:
    """Serve any WSGI app (normally a `LockedMotoApp`) from a daemon thread; port 0 = a free port."""
    server, thread = serve_in_background(app, host, port, "moto", request_handler=QuietMotoRequestHandler)
    previous = os.environ.get("MOTO_PORT")
    # moto's Step Functions interpreter (and Lambda's environment) call moto back on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.server_port)
    return MotoServer(host, server.server_port, server, thread, previous)


def start_moto_server(host: str = "127.0.0.1", port: int = 0) -> MotoServer:
    """moto behind the global lock, with its fast paths, on host:port (0 = pick a free port)."""
    patches.apply()
    return serve(LockedMotoApp(), host, port)
