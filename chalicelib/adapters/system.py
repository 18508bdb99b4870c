"""Clock and ids ports for real: the system's clock and ids from the `secrets` module."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def hold_id(self) -> str:
        return "h_" + secrets.token_urlsafe(12)

    def cart_id(self) -> str:
        return "c_" + secrets.token_urlsafe(12)

    def refund_id(self) -> str:
        return "r_" + secrets.token_hex(8)

    def allocation_id(self) -> str:
        return "al_" + secrets.token_urlsafe(9)

    def catalog_id(self, prefix: str) -> str:
        return f"{prefix}-{secrets.token_hex(5)}"

    def change_id(self) -> str:
        return "c_" + secrets.token_hex(8)

    def scan_id(self) -> str:
        return uuid.uuid4().hex

    def run_suffix(self) -> str:
        return secrets.token_hex(4)
