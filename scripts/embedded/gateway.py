"""Run `chalice local` with a listen backlog fit for a sale-opening burst.

Python's HTTPServer listens with a backlog of 5; a burst of hundreds of buyers then sees
dropped connections and 1-3 s SYN retries that say nothing about Podium. Everything else
is Chalice's own local gateway, unchanged.
"""
import os
import sys

from chalice import local
from chalice.cli import main

from . import access
from .fairness import FairSemaphore
from .serving import exit_with_parent

local.ThreadedHTTPServer.request_queue_size = 1024
local.ThreadedHTTPServer.daemon_threads = True

# Requests being worked on at once. Chalice starts a thread per connection; dozens of them
# competing for one GIL starved some for seconds. A few at a time, first come first served,
# keeps the cores busy (most of a request is waiting on moto) without that starvation: 4 since
# the workflow tasks left moto's process (with 2, a sale opening's p99 hold was 1.1-1.3 s and the
# gateway's slots the queue; with 4, 0.74-0.77 s; docs/benchmarks.md).
# Admission is per request, not per connection: the handler speaks HTTP/1.1 keep-alive, and
# an idle kept-alive connection must not hold a place.
CONCURRENT_REQUESTS = int(os.environ.get("PODIUM_GATEWAY_CONCURRENCY", "4"))
_admission = FairSemaphore(CONCURRENT_REQUESTS)
_handle = local.ChaliceRequestHandler._generic_handle


def _admitted(self) -> None:
    with _admission:
        _handle(self)


for _method in ("do_GET", "do_HEAD", "do_POST", "do_PUT", "do_PATCH", "do_DELETE", "do_OPTIONS"):
    setattr(local.ChaliceRequestHandler, _method, _admitted)


if __name__ == "__main__":
    exit_with_parent(os.getppid())
    if os.environ.get("PODIUM_ACCESS_LOG"):  # the whole gateway is the API's one function
        access.install(os.environ["PODIUM_ACCESS_LOG"], default_function="APIHandler")
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
