"""Why a door scanner refuses a ticket payload; each reason has a stable `code`."""

from __future__ import annotations

from .errors import DomainError


class TicketRejected(DomainError):
    """Base of every refusal at the door: catch this to refuse entry whatever the reason."""

    code = "ticket_rejected"


class TicketMalformed(TicketRejected):
    """Not a Podium ticket payload: wrong prefix, bad encoding, wrong length, unknown layout."""

    code = "ticket_malformed"


class TicketUnknownKey(TicketRejected):
    """Signed with a key this scanner does not trust: never listed, or listed as retired."""

    code = "ticket_unknown_key"


class TicketSignatureInvalid(TicketRejected):
    """The signature does not match the payload: forged or damaged."""

    code = "ticket_signature_invalid"


class TicketNotYetValid(TicketRejected):
    """Genuine, but its validity window has not opened yet."""

    code = "ticket_not_yet_valid"


class TicketExpired(TicketRejected):
    """Genuine, but its validity window has closed."""

    code = "ticket_expired"


class TicketWrongPerformance(TicketRejected):
    """A genuine ticket for another performance (or another house's door)."""

    code = "ticket_wrong_performance"


class TicketVoid(TicketRejected):
    """A genuine ticket that was refunded: it no longer opens the door."""

    code = "ticket_void"


class TicketAlreadyScanned(TicketRejected):
    """The ticket was admitted before: the scanner shows when and where."""

    code = "ticket_already_scanned"
