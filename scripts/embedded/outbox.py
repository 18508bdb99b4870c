"""The local mailbox: every e-mail moto's SES accepted, readable in a browser and as JSON for tests.

It must run in the process of moto's server, because it reads moto's SES backend in memory.
Only raw e-mails (SendRawEmail, what Podium sends) are listed.

SES on AWS keeps no copy of a sent message; this outbox does, so a buyer's erasure must reach it too. It
learns of one by itself, as a DynamoDB stream consumer would on AWS: `watch_erasures` has it look at every
item deleted from the customer table, and a deleted record or order buyer that carries an address takes
every message to or naming that address with it. Product code neither knows nor tells the outbox.
"""

from __future__ import annotations

import email
import io
import json
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from jinja2 import DictLoader, Environment
from moto.ses.models import RawMessage, ses_backends
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from scripts.localaws import deletions

from .serving import BackgroundServer, serve_in_background

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "eu-west-1"
BRUSSELS = ZoneInfo("Europe/Brussels")


def verify_sender(moto_url: str, address: str, region: str = REGION) -> None:
    """Verify `address` as an SES e-mail identity in moto, which refuses mail from unverified senders."""
    ses = boto3.client(
        "ses", endpoint_url=moto_url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    ses.verify_email_identity(EmailAddress=parseaddr(address)[1])


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    """One e-mail as the outbox shows it; `number` counts from 1 in the order moto received them."""

    number: int
    ses_message_id: str
    sender: str
    to: str
    subject: str
    sent_at: datetime | None
    language: str
    text: str | None
    html: str | None
    attachments: tuple[Attachment, ...]
    raw: str

    def summary(self) -> dict[str, object]:
        return {
            "id": self.number,
            "ses_message_id": self.ses_message_id,
            "from": self.sender,
            "to": self.to,
            "subject": self.subject,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "attachments": [attachment.filename for attachment in self.attachments],
        }


def parse_mail(number: int, ses_message_id: str, raw: str) -> Mail:
    """A raw RFC 5322 message taken apart into what the pages show."""
    message: EmailMessage = email.message_from_string(raw, policy=default_policy)  # type: ignore[assignment]
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    text, html = message.get_body(preferencelist=("plain",)), message.get_body(preferencelist=("html",))
    attachments = tuple(
        Attachment(
            part.get_filename() or f"attachment-{index}", part.get_content_type(), part.get_payload(decode=True) or b""
        )
        for index, part in enumerate(message.iter_attachments(), start=1)
    )
    return Mail(
        number=number,
        ses_message_id=ses_message_id,
        sender=str(message["From"] or ""),
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        sent_at=sent_at,
        language=str(message["Content-Language"] or "").strip(),
        text=text.get_content() if text is not None else None,
        html=html.get_content() if html is not None else None,
        attachments=attachments,
        raw=raw,
    )


class OutboxApp:
    """The outbox's WSGI app over moto's in-memory SES backend of one account and region."""

    def __init__(self, account_id: str = ACCOUNT_ID, region: str = REGION):
        self.account_id, self.region = account_id, region
        # Parsing a message with its PDFs costs milliseconds; each is parsed once, keyed by SES's id.
        self._parsed: dict[str, Mail] = {}
        self.routes = Map(
            [
                Rule("/", endpoint="index"),
                Rule("/messages.json", endpoint="index_json"),
                Rule("/messages/<int:number>", endpoint="message"),
                Rule("/messages/<int:number>/html", endpoint="html"),
                Rule("/messages/<int:number>/raw", endpoint="raw"),
                Rule("/messages/<int:number>/attachments/<int:index>", endpoint="attachment"),
            ]
        )

    def mails(self) -> list[Mail]:
        """Every raw e-mail moto's SES accepted, oldest first."""
        # A copy of the list: moto's server threads append to it while we read.
        sent = [
            message
            for message in list(ses_backends[self.account_id][self.region].sent_messages)
            if isinstance(message, RawMessage)
        ]
        mails = []
        for number, message in enumerate(sent, start=1):
            mail = self._parsed.get(message.id)
            if mail is None or mail.number != number:
                mail = self._parsed[message.id] = parse_mail(number, message.id, message.raw_data)
            mails.append(mail)
        for gone in self._parsed.keys() - {message.id for message in sent}:  # erased: nothing of it is kept
            self._parsed.pop(gone, None)  # another request thread may have dropped it first
        return mails

    def mail(self, number: int) -> Mail:
        mails = self.mails()
        if not 1 <= number <= len(mails):
            raise NotFound(f"There is no message {number}.")
        return mails[number - 1]

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, arguments = self.routes.bind_to_environ(environ).match(method=request.method)
            response = getattr(self, f"on_{endpoint}")(request, **arguments)
        except HTTPException as error:
            response = Response(
                _page("error.html", status=error.code, description=error.description),
                status=error.code,
                mimetype="text/html",
            )
        return response(environ, start_response)

    def on_index(self, request: Request) -> Response:
        mails = list(reversed(self.mails()))
        return Response(_page("index.html", mails=mails, local_time=_local_time), mimetype="text/html")

    def on_index_json(self, request: Request) -> Response:
        body = json.dumps([mail.summary() for mail in reversed(self.mails())], ensure_ascii=False)
        return Response(body, mimetype="application/json")

    def on_message(self, request: Request, number: int) -> Response:
        return Response(_page("message.html", mail=self.mail(number), local_time=_local_time), mimetype="text/html")

    def on_html(self, request: Request, number: int) -> Response:
        mail = self.mail(number)
        if mail.html is None:
            raise NotFound("This message has no HTML version.")
        response = Response(mail.html, mimetype="text/html")
        # The HTML part is shown as the mail client would: its inline styles, never scripts or remote content.
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def on_raw(self, request: Request, number: int) -> Response:
        response = Response(self.mail(number).raw, mimetype="message/rfc822")
        response.headers["Content-Disposition"] = f'inline; filename="message-{number}.eml"'
        return response

    def on_attachment(self, request: Request, number: int, index: int) -> Response:
        attachments = self.mail(number).attachments
        if not 1 <= index <= len(attachments):
            raise NotFound(f"Message {number} has no attachment {index}.")
        attachment = attachments[index - 1]
        return send_file(
            io.BytesIO(attachment.data),
            request.environ,
            mimetype=attachment.content_type,
            download_name=attachment.filename,
            as_attachment=False,
            max_age=0,
        )


# -- erasure ---------------------------------------------------------------------------------------
def erase(addresses: list[str], account_id: str = ACCOUNT_ID, region: str = REGION) -> int:
    """Remove every stored message to or naming one of these addresses; how many were removed. The caller
    holds `scripts.localaws.server.MOTO_LOCK` (moto's server threads append to the list under it)."""
    wanted = [address.strip().lower() for address in addresses if "@" in address]
    if not wanted:
        return 0
    backend = ses_backends[account_id][region]
    kept = [
        message
        for message in backend.sent_messages
        if not (isinstance(message, RawMessage) and any(address in message.raw_data.lower() for address in wanted))
    ]
    erased = len(backend.sent_messages) - len(kept)
    backend.sent_messages[:] = kept
    return erased


def watch_erasures(customer_table: str, account_id: str = ACCOUNT_ID, region: str = REGION) -> None:
    """From now on, an item with an `email` deleted from `customer_table` erases the messages to it."""

    def erase_deleted(attributes: dict[str, Any]) -> None:
        address = attributes.get("email")
        if address is not None and address.type == "S":
            erase([address.value], account_id, region)  # served under MOTO_LOCK, as every DeleteItem is

    deletions.watch(customer_table, erase_deleted)


def unwatch_erasures(customer_table: str) -> None:
    deletions.unwatch(customer_table)


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


_LAYOUT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · Podium outbox</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.5; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ccc; vertical-align: top; }
pre { white-space: pre-wrap; background: #f4f4f6; padding: 1rem; }
iframe { width: 100%; height: 40rem; border: 1px solid #ccc; }
dt { font-weight: bold; } dd { margin: 0 0 .5rem; }
</style>
</head>
<body>
<main>
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_TEMPLATES = {
    "layout.html": _LAYOUT,
    "index.html": """{% extends "layout.html" %}{% block title %}Outbox{% endblock %}{% block content %}
<h1>Outbox</h1>
<p>E-mails sent through the local SES, newest first. None of them left this machine.</p>
{% if mails %}
<table>
<caption>{{ mails|length }} e-mail{{ "" if mails|length == 1 else "s" }}</caption>
<thead><tr><th scope="col">#</th><th scope="col">Sent (Brussels)</th><th scope="col">To</th>
<th scope="col">Subject</th><th scope="col">Attachments</th></tr></thead>
<tbody>
{% for mail in mails %}
<tr><td>{{ mail.number }}</td>
<td>{% if mail.sent_at %}<time datetime="{{ mail.sent_at.isoformat() }}">{{
local_time(mail.sent_at) }}</time>{% else %}—{% endif %}</td>
<td>{{ mail.to }}</td>
<td><a href="/messages/{{ mail.number }}">{{ mail.subject or "(no subject)" }}</a></td>
<td>{{ mail.attachments|length }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>No e-mails yet.</p>
{% endif %}
<p><a href="/messages.json">The same list as JSON</a></p>
{% endblock %}""",
    "message.html": """{% extends "layout.html" %}{% block title %}{{ mail.subject }}{% endblock %}{% block content %}
<p><a href="/">Back to the outbox</a></p>
<h1>{{ mail.subject or "(no subject)" }}</h1>
<dl>
<dt>From</dt><dd>{{ mail.sender }}</dd>
<dt>To</dt><dd>{{ mail.to }}</dd>
<dt>Sent (Brussels)</dt><dd>{{ local_time(mail.sent_at) }}</dd>
{% if mail.language %}<dt>Language</dt><dd>{{ mail.language }}</dd>{% endif %}
<dt>SES message id</dt><dd>{{ mail.ses_message_id }}</dd>
</dl>
<h2>Attachments</h2>
{% if mail.attachments %}
<ul>
{% for attachment in mail.attachments %}
<li><a href="/messages/{{ mail.number }}/attachments/{{ loop.index }}">{{ attachment.filename }}</a>
({{ attachment.content_type }}, {{ attachment.data|length }} bytes)</li>
{% endfor %}
</ul>
{% else %}
<p>None.</p>
{% endif %}
<h2>Plain text</h2>
{% if mail.text is not none %}<pre{% if mail.language %} lang="{{ mail.language }}"{% endif %}>{{ mail.text }}</pre>
{% else %}<p>No plain-text version.</p>{% endif %}
<h2>HTML</h2>
{% if mail.html is not none %}
<iframe sandbox src="/messages/{{ mail.number }}/html" title="HTML version of {{ mail.subject }}"></iframe>
<p><a href="/messages/{{ mail.number }}/html">Open the HTML version on its own</a></p>
{% else %}<p>No HTML version.</p>{% endif %}
<p><a href="/messages/{{ mail.number }}/raw">The raw message (RFC 5322)</a></p>
{% endblock %}""",
    "error.html": """{% extends "layout.html" %}{% block title %}{{ status }}{% endblock %}{% block content %}
<h1>{{ status }}</h1>
<p>{{ description }}</p>
<p><a href="/">Back to the outbox</a></p>
{% endblock %}""",
}

_ENVIRONMENT = Environment(loader=DictLoader(_TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _page(name: str, **context) -> str:
    return _ENVIRONMENT.get_template(name).render(**context)


def start_outbox(
    host: str = "127.0.0.1", port: int = 0, *, account_id: str = ACCOUNT_ID, region: str = REGION
) -> BackgroundServer:
    """Serve the outbox on host:port (0 = a free port) from a daemon thread of this process."""
    server, thread = serve_in_background(OutboxApp(account_id, region), host, port, "outbox")
    return BackgroundServer(host, server.server_port, server, thread)
