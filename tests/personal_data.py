"""No personal data or credential in logs: every test buyer's e-mail address, name and phone number, the
staff's free texts, and every token, key secret and gift-card code the run used; and everything the run logged.

Buyers are registered by the helpers that create them (the test `Client` registers every `buyer`
it sends; the stack fixture adds every record left in `CustomerTable` at the end). The `Client` also
registers the credentials it sends (staff tokens, API keys, preferences tokens), the secrets it is
given (a new API key, a gift card's code) and the free texts it sends (a refund's reason …); the
integration fixtures add the preferences tokens of every e-mail in the outbox. Everything the
run logged is collected: what pytest captured of each test (the app's Powertools lines, the workflow
tasks and consumers that run in this process, moto and the stand-ins), and the gateways' log files.
At the end of the session `tests/conftest.py` fails the run if any of it is in there.
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
MIN_PRIVATE_LENGTH = 8  # a shorter free text or token ("ok", "test") matches ordinary log text
MIN_PHONE_DIGITS = 6
# Body fields (at any depth) holding a staff member's or buyer's own words: never logged, never sent on.
FREE_TEXT_FIELDS = frozenset({"reason", "note", "notes", "comment", "comments", "remark", "remarks", "message"})
_private: dict[str, str] = {}  # text -> what it is ("staff token", "refund reason" …)


def register(name: str | None, email: str | None) -> None:
    """A buyer the run created (or tried to): their name and address must never be logged."""
    with _lock:
        _buyers.add(((name or "").strip(), (email or "").strip()))


def register_private(text: str | None, kind: str) -> None:
    """A credential (token, key secret, gift-card code) or someone's free text: it must never be logged.
    Texts shorter than MIN_PRIVATE_LENGTH are ignored (they would match ordinary words), and so is filler."""
    # one character over and over ("xxxx…", a test's over-long filler) is nobody's words
    if isinstance(text, str) and len(text.strip()) >= MIN_PRIVATE_LENGTH and len(set(text.strip())) > 1:
        with _lock:
            _private.setdefault(text.strip(), kind)


def register_phone(phone: str | None) -> None:
    """A buyer's phone number: found in a log in any spelling of its digits (spaces, dots, dashes)."""
    if isinstance(phone, str) and sum(character.isdigit() for character in phone) >= MIN_PHONE_DIGITS:
        register_private(phone, "phone number")


def register_body(body) -> None:
    """Register the buyer of a request body (`{"buyer": {"name", "email", "phone"}}`) or of a form (`name`,
    `email`, `phone`), and every free text in it (a refund's `reason` …)."""
    if not isinstance(body, dict):
        return
    buyer = body.get("buyer") if isinstance(body.get("buyer"), dict) else body
    if isinstance(buyer.get("email"), str) and "@" in buyer["email"]:
        register(buyer.get("name") if isinstance(buyer.get("name"), str) else None, buyer["email"])
    register_phone(buyer.get("phone"))
    _register_free_texts(body)


def _register_free_texts(value, depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in FREE_TEXT_FIELDS and isinstance(inner, str):
                register_private(inner, f"free text ({key})")
            else:
                _register_free_texts(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            _register_free_texts(inner, depth + 1)


def private_texts() -> dict[str, str]:
    """Every registered credential and free text, with what it is."""
    with _lock:
        return dict(_private)


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


def leaks_in(text: str, known: list[tuple[str, str]], private: dict[str, str] | None = None) -> list[str]:
    """Each line of `text` holding a buyer's e-mail address (anywhere, any case) or name (as words), or one of
    the `private` texts: a phone number in any spelling of its digits, a free text in any case, a credential
    by its `credential_word` (a token's signature is enough to use it)."""
    patterns = []
    for name, email in known:
        if email:
            patterns.append(re.escape(email))
        if len(name) >= MIN_NAME_LENGTH:
            patterns.append(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in name.split()) + r"(?!\w)")
    credentials = set()  # looked up word by word: thousands of tokens are too many for one pattern
    for value, kind in (private or {}).items():
        if kind == "phone number":
            # its last 8 digits: "+32 470 12 34 56" is also written "0470/12.34.56"
            digits = [character for character in value if character.isdigit()][-8:]
            patterns.append(r"[\s./()-]*".join(digits) + r"(?!\d)")
        elif kind.startswith("free text"):
            patterns.append(r"\s+".join(re.escape(part) for part in value.split()))
        else:
            credentials.add(credential_word(value))
    found = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
    return [
        line
        for line in text.splitlines()
        if (found is not None and found.search(line))
        or (credentials and any(word in credentials for word in _WORD.findall(line)))
    ]


_WORD = re.compile(rf"[A-Za-z0-9_-]{{{MIN_PRIVATE_LENGTH},}}")


def credential_word(value: str) -> str:
    """What identifies a credential in a log: its longest run of token characters (a JWT's or a preferences
    link's signature, an API key's secret, a gift card's whole code)."""
    words = _WORD.findall(value)
    # a random part has letters and digits; an ordinary word in a made-up token ("signature") would match log text
    random_parts = [word for word in words if any(c.isdigit() for c in word) and any(c.isalpha() for c in word)]
    return max(random_parts or words, key=len) if words else value


def what_matched(line: str) -> str:
    """Which registered thing a leaked line holds (its kind and where it starts), to find the test that logged it."""
    for name, email in buyers():
        if email and email.lower() in line.lower():
            return "a buyer's e-mail address"
        if len(name) >= MIN_NAME_LENGTH and leaks_in(line, [(name, "")]):
            return "a buyer's name"
    for value, kind in private_texts().items():
        if leaks_in(line, [], {value: kind}):
            return f"{kind} {value[:6]}…"
    return "?"


def check() -> list[str]:
    """The logged lines that hold a test buyer's personal data, a credential or a free text (empty: none)."""
    texts = [CAPTURED.read_text(encoding="utf-8", errors="replace")] if CAPTURED.exists() else []
    with _lock:
        files = list(dict.fromkeys(_log_files))
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in files if path.exists()]
    return leaks_in("\n".join(texts), buyers(), private_texts())
