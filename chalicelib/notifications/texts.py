"""The words of the buyer e-mails that are chosen by a code (the reason of a refund) or a count.

The sentences themselves are English msgids of the one catalogue (`chalicelib/locale`), translated in
`rendering.py` into the buyer's language (nl default, fr, en).
"""

from __future__ import annotations

from .. import i18n
from ..domain.texts import N_

REFUND_REASONS = ("seats_lost", "refunded_by_house", "performance_cancelled")

# One sentence per refund reason.
REFUND_REASON_TEXTS = {
    "seats_lost": N_(
        "A seat of your order was taken by someone else after your reservation expired, so we refunded "
        "you in full: you pay nothing for it."
    ),
    "refunded_by_house": N_(
        "The organiser has refunded your order (or part of it). Refunded tickets are no longer valid."
    ),
    "performance_cancelled": N_(
        "The performance has been cancelled, so we refunded your tickets in full. We are sorry."
    ),
}


def email_language(language: str | None) -> str:
    """nl, fr or en from a buyer's language ("fr-BE" → fr); anything else → nl."""
    return i18n.supported(language)


def ticket_count(count: int, language: str) -> str:
    """ "1 ticket", "3 billets": the count with the noun in the right number."""
    return i18n.ngettext(language, "{count} ticket", "{count} tickets", count).format(count=count)
