"""Sending a composed e-mail (the notifications compose it; this only hands it over)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class EmailNotSent(Exception):
    """The mail service refused the e-mail; carries its error code only, because its message may name the
    recipient."""

    def __init__(self, code: str):
        super().__init__(f"the mail service refused the e-mail: {code}")
        self.code = code


class Mail(Protocol):
    def send(self, mail_from: str, to_address: str, message: EmailMessage) -> str:
        """Send `message` to `to_address`; returns the mail service's message id, or raises EmailNotSent."""
