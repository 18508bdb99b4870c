"""Run `chalice local` with a listen backlog fit for a sale-opening burst.

Python's HTTPServer listens with a backlog of 5; a burst of hundreds of buyers then sees
dropped connections and 1-3 s SYN retries that say nothing about Podium. Everything else
is Chalice's own local gateway, unchanged.
"""
import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 1024
local.ThreadedHTTPServer.daemon_threads = True

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
