"""Composition root: puts the AWS and Stripe adapters into the ports, once per process.

Every Lambda function of the stage is a function of the one Chalice app, and `app.py` calls
`install()` at import; a process that uses the services without the app (a script, a benchmark)
calls it itself.
"""

from __future__ import annotations

from . import ports
from .adapters.ses_mail import SesMail
from .adapters.sns_events import SnsEvents
from .adapters.step_functions import StepFunctionsWorkflows
from .adapters.stripe_payments import StripePayments
from .adapters.system import RandomIds, SystemClock


def install() -> None:
    ports.install(
        payments=StripePayments(),
        workflows=StepFunctionsWorkflows(),
        events=SnsEvents(),
        mail=SesMail(),
        clock=SystemClock(),
        ids=RandomIds(),
    )
