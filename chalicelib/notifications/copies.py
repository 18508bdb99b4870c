"""Stored copies of sent e-mails, which erasure must remove too.

SES on AWS keeps no copy of a sent message, so there `PODIUM_MAIL_COPIES_URL` is empty and there is
nothing to erase. Where a mailbox keeps copies (the embedded stack's outbox), it is named by that
URL and erases every message to or about the given addresses on `POST {url}/erase`.
"""

from __future__ import annotations

import json
import urllib.request

from ..settings import get_settings


def erase(addresses: list[str]) -> int:
    """Remove every stored copy of e-mails to these addresses; how many were removed."""
    url = get_settings().mail_copies_url
    if not url or not addresses:
        return 0
    if not url.startswith(("https://", "http://")):  # the stage's setting: never file: or another scheme
        raise ValueError(f"not an http(s) URL: {url[:40]}")
    request = urllib.request.Request(
        url.rstrip("/") + "/erase",
        data=json.dumps({"addresses": addresses}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    # bandit B310 (urlopen of a file: URL): scheme checked above. An error fails the step: it is retried.
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        return int(json.loads(response.read())["erased"])
