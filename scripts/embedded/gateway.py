"""Run `chalice local` with a listen backlog fit for a sale-opening burst.

Python's HTTPServer listens with a backlog of 5; a burst of hundreds of buyers then sees
dropped connections and 1-3 s SYN retries that say nothing about Podium. Everything else
is Chalice's own local gateway, unchanged.
"""
import os
import sys
import threading
import time

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 1024
local.ThreadedHTTPServer.daemon_threads = True



def exit_with_parent(parent_pid: int) -> None:
    """The gateway runs in its own session (Ctrl-C goes to the supervisor, which stops it in
    order); if the supervisor dies without doing so, the gateway must not live on."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    exit_with_parent(os.getppid())
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
