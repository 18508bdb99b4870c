"""Mail port on AWS: a composed e-mail sent through SES as raw MIME."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from botocore.exceptions import ClientError

from ..ports import EmailNotSent
from .aws_clients import client


class SesMail:
    def __init__(self, ses: Callable[[], Any] = lambda: client("ses")):
        # The process-wide client by default: AWS_ENDPOINT_URL sends it to moto locally.
        self._ses = ses

    def send(self, mail_from: str, to_address: str, message: EmailMessage) -> str:
        try:
            response = self._ses().send_raw_email(
                Source=mail_from, Destinations=[to_address], RawMessage={"Data": message.as_bytes(policy=SMTP)}
            )
        except ClientError as error:
            # `from None`: SES's text ("... failed the check: buyer@example.be") must not reach a logged traceback.
            raise EmailNotSent(error.response.get("Error", {}).get("Code", "Unknown")) from None
        return response["MessageId"]
