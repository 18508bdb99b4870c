"""No personal data in logs: every test buyer's e-mail address and name, and everything the run logged.

Buyers are registered by the helpers that create them (the test `Client` registers every `buyer`
it sends; the stack fixture adds every record left in `CustomerTable` at the end). Everything the
run logged is collected: what pytest captured of each test (the app's Powertools lines, the workflow
tasks and consumers that run in this process, moto and the stand-ins), and the gateways' log files.
At the end of the session `tests/conftest.py` fails the run if any of the buyers' data is in there.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_buyers: set[tuple[str, str]] = set()  # (name, e-mail)
_log_files: list[Path] = []
CAPTURED = Path(tempfile.gettempdir()) / f"podium-test-logs-{os.getpid()}.log"
MIN_NAME_LENGTH = 5  # shorter names ("Ann") match ordinary words; their e-mail addresses are still checked


def register(name: str | None, email: str | None) -> None:
    """A buyer the run created (or tried to): their name and address must never be logged."""
    with _lock:
        _buyers.add(((name or "").strip(), (email or "").strip()))


def register_body(body) -> None:
    """Register the buyer of a request body (`{"buyer": {"name", "email"}}`) or of a form (`name`, `email`)."""
    if not isinstance(body, dict):
        return
    buyer = body.get("buyer") if isinstance(body.get("buyer"), dict) else body
    if isinstance(buyer.get("email"), str) and "@" in buyer["email"]:
        register(buyer.get("name") if isinstance(buyer.get("name"), str) else None, buyer["email"])


def buyers() -> list[tuple[str, str]]:
    with _lock:
        return sorted(_buyers)


def add_log_file(path: Path) -> None:
    """A log file to check at the end (a gateway's stdout and stderr)."""
    with _lock:
        _log_files.append(Path(path))


def start() -> None:
    CAPTURED.write_text("")


def capture(where: str, text: str) -> None:
    if text:
        with _lock, CAPTURED.open("a", encoding="utf-8") as log:
            log.write(f"----- {where}\n{text}\n")


def leaks_in(text: str, known: list[tuple[str, str]]) -> list[str]:
    """Each line of `text` holding a buyer's e-mail address (anywhere, any case) or name (as words)."""
    patterns = []
    for name, email in known:
        if email:
            patterns.append(re.escape(email))
        if len(name) >= MIN_NAME_LENGTH:
            patterns.append(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in name.split()) + r"(?!\w)")
    if not patterns:
        return []
    found = re.compile("|".join(patterns), re.IGNORECASE)
    return [line for line in text.splitlines() if found.search(line)]


def check() -> list[str]:
    """The logged lines that hold a test buyer's personal data (empty: none)."""
    texts = [CAPTURED.read_text(encoding="utf-8", errors="replace")] if CAPTURED.exists() else []
    with _lock:
        files = list(dict.fromkeys(_log_files))
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in files if path.exists()]
    return leaks_in("\n".join(texts), buyers())
