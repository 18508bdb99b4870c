"""Ports: what the services need from the outside world, as Protocols, and the registry that holds this
process's implementations (AWS and Stripe adapters at run time, in-memory fakes in tests).

Services use them as `from chalicelib import ports` … `ports.payments().refund_payment(…)`. Nothing here
imports an adapter: `chalicelib.wiring.install()` puts them in.
"""

from .event import Events
from .mailing import EmailNotSent, Mail
from .payment import InvalidSignature, PaymentIntent, PaymentProviderUnavailable, Payments
from .registry import PortNotInstalled, clock, events, ids, install, installed, mail, payments, restore, workflows
from .system import Clock, Ids
from .workflow import Workflow, Workflows

__all__ = [
    "Clock",
    "EmailNotSent",
    "Events",
    "Ids",
    "InvalidSignature",
    "Mail",
    "PaymentIntent",
    "PaymentProviderUnavailable",
    "Payments",
    "PortNotInstalled",
    "Workflow",
    "Workflows",
    "clock",
    "events",
    "ids",
    "install",
    "installed",
    "mail",
    "payments",
    "restore",
    "workflows",
]
