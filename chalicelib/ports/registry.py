"""The ports' implementations of this process, installed once by the composition root (chalicelib.wiring)."""

from __future__ import annotations

from typing import Any

from .event import Events
from .mailing import Mail
from .payment import Payments
from .system import Clock, Ids
from .workflow import Workflows

_NAMES = ("payments", "workflows", "events", "mail", "clock", "ids")
_installed: dict[str, Any] = {}


class PortNotInstalled(RuntimeError):
    """A service used a port before anything was installed in it."""


def install(
    *,
    payments: Payments | None = None,
    workflows: Workflows | None = None,
    events: Events | None = None,
    mail: Mail | None = None,
    clock: Clock | None = None,
    ids: Ids | None = None,
) -> None:
    """Put implementations into the ports; a port not named keeps what it had."""
    given = {"payments": payments, "workflows": workflows, "events": events, "mail": mail, "clock": clock, "ids": ids}
    _installed.update({name: port for name, port in given.items() if port is not None})


def installed() -> dict[str, Any]:
    """What each port holds now (to put it back after a test)."""
    return dict(_installed)


def restore(previous: dict[str, Any]) -> None:
    """Make the ports hold exactly `previous` (what `installed()` returned)."""
    _installed.clear()
    _installed.update(previous)


def _get(name: str) -> Any:
    try:
        return _installed[name]
    except KeyError:
        raise PortNotInstalled(
            f"no {name} port installed: call chalicelib.wiring.install() at start-up (app.py does), "
            f"or install fakes in tests (tests/fakes.py)"
        ) from None


def payments() -> Payments:
    return _get("payments")


def workflows() -> Workflows:
    return _get("workflows")


def events() -> Events:
    return _get("events")


def mail() -> Mail:
    return _get("mail")


def clock() -> Clock:
    return _get("clock")


def ids() -> Ids:
    return _get("ids")
