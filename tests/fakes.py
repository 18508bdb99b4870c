"""In-memory fakes of the ports (chalicelib.ports), and the `fake_ports` fixture that installs them.

Each fake records what the services asked of it, so a test can assert on it, and can be told to fail.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from chalicelib import ports
from chalicelib.ports import EmailNotSent, InvalidSignature, PaymentIntent, PaymentProviderUnavailable, Workflow

# The one webhook signature FakePayments accepts (made up; random-looking, as the log check expects of secrets).
VALID_SIGNATURE = "t=1796534193,v1=Fk9Qz2Lw8Xr4Hn6Tb3"


class FakePayments:
    """A payment provider that keeps PaymentIntents, refunds, accounts and transfers in memory.

    Idempotency keys behave as at Stripe: a call repeated with the same key returns the first answer.
    `fail_next(n)` makes the next n calls raise PaymentProviderUnavailable (the provider is down).
    """

    def __init__(self) -> None:
        self.intents: dict[str, PaymentIntent] = {}
        self.metadata: dict[str, dict[str, str]] = {}  # intent id → its metadata (the order id)
        self.refunds: list[dict] = []  # one per distinct refund: intent id, amount, metadata
        self.accounts: dict[str, str] = {}  # house id → account id
        self.transfers: list[dict] = []
        self.calls: list[str] = []  # every method called, in order (retries included)
        self._answers: dict[str, object] = {}  # idempotency key → what the first call answered
        self._failures = 0
        self._numbers = itertools.count(1)

    def fail_next(self, calls: int = 1) -> None:
        self._failures += calls

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        if self._failures:
            self._failures -= 1
            raise PaymentProviderUnavailable(f"{method}: the provider is unavailable (fake)")

    def _once(self, key: str, make):
        if key not in self._answers:
            self._answers[key] = make()
        return self._answers[key]

    def create_payment_intent(
        self, order_id: str, amount_cents: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentIntent:
        self._enter("create_payment_intent")

        def make() -> PaymentIntent:
            number = next(self._numbers)
            intent_id = f"pi_fake{number:04d}"
            intent = PaymentIntent(
                intent_id,
                "requires_payment_method",
                f"{intent_id}_secret_Q7m{number:04d}Zk",
                amount_cents,
                currency.lower(),
                None,
            )
            self.intents[intent.id] = intent
            self.metadata[intent.id] = {"order_id": order_id}
            return intent

        return self._once(idempotency_key, make)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        self._enter("retrieve_payment_intent")
        return self.intents[payment_intent_id]

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> PaymentIntent:
        self._enter("cancel_payment_intent")
        intent = self.intents[payment_intent_id]
        if intent.status not in ("succeeded", "canceled"):
            intent = self._set(payment_intent_id, status="canceled")
        return intent

    def refund_payment(
        self, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
    ) -> str:
        self._enter("refund_payment")

        def make() -> str:
            refund_id = f"re_fake{next(self._numbers):04d}"
            self.refunds.append(
                {
                    "id": refund_id,
                    "payment_intent": payment_intent_id,
                    "amount": amount_cents,
                    "metadata": dict(metadata),
                }
            )
            return refund_id

        return self._once(idempotency_key, make)

    def create_connected_account(self, house_id: str, name: str, idempotency_key: str) -> str:
        self._enter("create_connected_account")
        return self._once(idempotency_key, lambda: self.accounts.setdefault(house_id, f"acct_fake{house_id}"))

    def create_transfer(
        self,
        amount_cents: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        self._enter("create_transfer")

        def make() -> str:
            transfer_id = f"tr_fake{next(self._numbers):04d}"
            self.transfers.append(
                {
                    "id": transfer_id,
                    "amount": amount_cents,
                    "currency": currency,
                    "destination": destination,
                    "metadata": dict(metadata),
                }
            )
            return transfer_id

        return self._once(idempotency_key, make)

    def verify_webhook(self, raw_body: bytes, signature_header: str) -> dict:
        if signature_header != VALID_SIGNATURE:
            raise InvalidSignature("the signature does not match (fake)")
        return json.loads(raw_body)

    # -- what the buyer and the provider do ---------------------------------------------------------------
    def _set(self, payment_intent_id: str, **changes) -> PaymentIntent:
        intent = self.intents[payment_intent_id]
        intent = PaymentIntent(**{**intent.__dict__, **changes})
        self.intents[payment_intent_id] = intent
        return intent

    def pay(self, payment_intent_id: str) -> dict:
        """The buyer pays: the intent succeeds; returns the webhook event the provider would send."""
        intent = self._set(payment_intent_id, status="succeeded", latest_charge=f"ch_{payment_intent_id}")
        return self.event("payment_intent.succeeded", intent)

    def event(self, kind: str, intent: PaymentIntent) -> dict:
        """A webhook event about `intent` (as verify_webhook returns it)."""
        return {
            "id": f"evt_{kind.rsplit('.', 1)[-1]}_{intent.id}",
            "type": kind,
            "data": {
                "object": {
                    "object": "payment_intent",
                    "id": intent.id,
                    "amount": intent.amount,
                    "currency": intent.currency,
                    "status": intent.status,
                    "latest_charge": intent.latest_charge,
                    "metadata": dict(self.metadata.get(intent.id, {})),
                }
            },
        }

    def refunded_cents(self, payment_intent_id: str | None = None) -> int:
        return sum(
            refund["amount"]
            for refund in self.refunds
            if payment_intent_id is None or refund["payment_intent"] == payment_intent_id
        )


@dataclass
class Execution:
    workflow: str
    name: str
    payload: dict


class FakeWorkflows:
    """Records started executions (one per name, as Step Functions) and the answers to task tokens."""

    def __init__(self) -> None:
        self.executions: dict[str, Execution] = {}  # name → the execution started under it
        self.starts: list[Execution] = []  # every start asked for, repeats included
        self.successes: dict[str, dict] = {}  # task token → output
        self.failures: dict[str, tuple[str, str]] = {}  # task token → (error, cause)
        self.spent: set[str] = set()  # tokens that no longer answer (timed out, run ended)

    def start(self, workflow: Workflow, name: str, payload: dict) -> str:
        self.starts.append(Execution(workflow, name, payload))
        self.executions.setdefault(name, self.starts[-1])
        return f"arn:fake:execution:{workflow}:{name}"

    def send_success(self, token: str, output: dict) -> bool:
        if token in self.spent or token in self.successes or token in self.failures:
            return False
        self.successes[token] = output
        return True

    def send_failure(self, token: str, error: str, cause: str) -> bool:
        if token in self.spent or token in self.successes or token in self.failures:
            return False
        self.failures[token] = (error, cause)
        return True

    def started(self, workflow: str) -> list[Execution]:
        return [execution for execution in self.executions.values() if execution.workflow == workflow]


@dataclass(frozen=True)
class PublishedEvent:
    type: str
    id: str
    occurred_at: datetime
    detail: dict


class FakeEvents:
    """Keeps every published event; `ids()` and `of_type()` to assert on them."""

    def __init__(self) -> None:
        self.published: list[PublishedEvent] = []

    def publish(self, event_type: str, event_id: str, occurred_at: datetime, detail: dict) -> str:
        self.published.append(PublishedEvent(event_type, event_id, occurred_at, detail))
        return f"msg-{len(self.published)}"

    def of_type(self, event_type: str) -> list[PublishedEvent]:
        return [event for event in self.published if event.type == event_type]


@dataclass(frozen=True)
class SentMail:
    mail_from: str
    to_address: str
    message: EmailMessage
    message_id: str

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def attachments(self) -> list[str]:
        return [part.get_filename() for part in self.message.iter_attachments()]


class FakeMail:
    """Keeps sent e-mails; `refuse_next(code)` makes the next send raise EmailNotSent with that code."""

    def __init__(self) -> None:
        self.sent: list[SentMail] = []
        self._refusals: list[str] = []

    def refuse_next(self, code: str = "MessageRejected") -> None:
        self._refusals.append(code)

    def send(self, mail_from: str, to_address: str, message: EmailMessage) -> str:
        if self._refusals:
            raise EmailNotSent(self._refusals.pop(0))
        sent = SentMail(mail_from, to_address, message, f"mail-{len(self.sent) + 1}")
        self.sent.append(sent)
        return sent.message_id

    def to(self, address: str) -> list[SentMail]:
        return [mail for mail in self.sent if mail.to_address == address]


class FixedClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move on by a timedelta's arguments (`minutes=16`); returns the new time."""
        self._now += timedelta(**delta)
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


class SequentialIds:
    """Ids in the stage's formats, numbered in order (h_0000000000000001 …), so tests can name them."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def _next(self) -> int:
        return next(self._numbers)

    def hold_id(self) -> str:
        return f"h_{self._next():016d}"

    def cart_id(self) -> str:
        return f"c_{self._next():016d}"

    def refund_id(self) -> str:
        return f"r_{self._next():016x}"

    def allocation_id(self) -> str:
        return f"al_{self._next():012d}"

    def catalog_id(self, prefix: str) -> str:
        return f"{prefix}-{self._next():010x}"

    def change_id(self) -> str:
        return f"c_{self._next():016x}"

    def scan_id(self) -> str:
        return f"{self._next():032x}"

    def run_suffix(self) -> str:
        return f"{self._next():08x}"


@dataclass
class FakePorts:
    payments: FakePayments = field(default_factory=FakePayments)
    workflows: FakeWorkflows = field(default_factory=FakeWorkflows)
    events: FakeEvents = field(default_factory=FakeEvents)
    mail: FakeMail = field(default_factory=FakeMail)
    clock: FixedClock = field(default_factory=FixedClock)
    ids: SequentialIds = field(default_factory=SequentialIds)


@pytest.fixture
def fake_ports():
    """Fresh fakes in every port for one test; what was installed before is put back after it."""
    fakes = FakePorts()
    previous = ports.installed()
    ports.install(
        payments=fakes.payments,
        workflows=fakes.workflows,
        events=fakes.events,
        mail=fakes.mail,
        clock=fakes.clock,
        ids=fakes.ids,
    )
    yield fakes
    ports.restore(previous)
