"""The marker of texts a person reads, for the domain's few words that are shown (tariff names, consent wording).

`N_("…")` returns its English text unchanged: the domain stays free of any catalogue, `scripts/i18n` finds the
marked texts for the catalogue, and the edge translates them with `chalicelib.i18n` where they are shown.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 (gettext's conventional name for a no-op marker)
    """The text itself: marks an English msgid for extraction, translated later in the reader's language."""
    return text
