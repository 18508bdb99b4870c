"""Serving a WSGI app of the embedded stack (moto, payment provider, outbox) from a daemon thread."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """No access-log line per request: the supervisor's console is for the stack's own news."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


@dataclass
class BackgroundServer:
    host: str
    port: int
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def serve_in_background(
    app: Callable,
    host: str,
    port: int,
    name: str,
    request_handler: type[WSGIRequestHandler] = QuietRequestHandler,
    poll_interval: float = 0.5,
) -> tuple[BaseWSGIServer, threading.Thread]:
    """Bind host:port (0 = a free port) and serve `app` on a daemon thread; connections queue until it runs."""
    server = make_server(host, port, app, threaded=True, request_handler=request_handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name=f"{name}-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return server, thread


def exit_with_parent(parent_pid: int) -> None:
    """A child server (the gateway, the functions) runs in its own session (Ctrl-C goes to the
    supervisor, which stops it in order); if the supervisor dies without doing so, it must not live on."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
