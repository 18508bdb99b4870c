"""User-facing texts in Dutch (default), French and English, chosen from Accept-Language."""
from __future__ import annotations

LANGUAGES = ("nl", "fr", "en")

PROBLEM_TITLES: dict[str, dict[str, str]] = {
    "malformed_request": {"nl": "Ongeldig verzoek", "fr": "Requête mal formée", "en": "Malformed request"},
    "validation_failed": {"nl": "Ongeldige gegevens", "fr": "Données invalides", "en": "Invalid data"},
    "seatmap_invalid": {"nl": "Ongeldig zaalplan", "fr": "Plan de salle invalide", "en": "Invalid seat map"},
    "not_found": {"nl": "Niet gevonden", "fr": "Introuvable", "en": "Not found"},
    "unauthorized": {"nl": "Aanmelding vereist", "fr": "Authentification requise", "en": "Authentication required"},
    "forbidden": {"nl": "Geen toegang", "fr": "Accès refusé", "en": "Forbidden"},
    "seats_unavailable": {"nl": "Plaatsen niet meer vrij", "fr": "Places plus disponibles",
                          "en": "Seats no longer available"},
    "not_enough_seats": {"nl": "Niet genoeg vrije plaatsen", "fr": "Pas assez de places libres",
                         "en": "Not enough free seats"},
    "sold_out": {"nl": "Uitverkocht", "fr": "Complet", "en": "Sold out"},
    "not_on_sale": {"nl": "Niet te koop", "fr": "Pas en vente", "en": "Not on sale"},
    "hold_expired": {"nl": "Reservering verlopen", "fr": "Réservation expirée", "en": "Hold expired"},
    "hold_not_active": {"nl": "Reservering niet meer actief", "fr": "Réservation plus active",
                        "en": "Hold no longer active"},
    "hold_too_large": {"nl": "Te veel plaatsen in één keer", "fr": "Trop de places à la fois",
                       "en": "Too many places at once"},
    "conflict": {"nl": "Conflict", "fr": "Conflit", "en": "Conflict"},
    "unsupported_media_type": {"nl": "Niet-ondersteund formaat", "fr": "Format non pris en charge",
                               "en": "Unsupported media type"},
    "method_not_allowed": {"nl": "Methode niet toegestaan", "fr": "Méthode non autorisée",
                           "en": "Method not allowed"},
    "internal_error": {"nl": "Er ging iets mis", "fr": "Une erreur est survenue", "en": "Something went wrong"},
}

# Refusals a buyer acts on get a full sentence in their language; the English `detail` stays for logs/clients.
BUYER_MESSAGES: dict[str, dict[str, str]] = {
    "seats_unavailable": {
        "nl": "Iemand anders was je net voor bij {seats}. Kies andere plaatsen.",
        "fr": "Quelqu'un d'autre vient de prendre {seats}. Choisissez d'autres places.",
        "en": "Someone else just took {seats}. Please pick other seats.",
    },
    "sold_out": {"nl": "Er zijn niet genoeg plaatsen meer voor zoveel personen.",
                 "fr": "Il ne reste pas assez de places pour autant de personnes.",
                 "en": "There are not enough places left for this many people."},
    "not_enough_seats": {"nl": "Er zijn niet genoeg vrije plaatsen naast elkaar of in deze categorie.",
                         "fr": "Il n'y a pas assez de places libres dans cette catégorie.",
                         "en": "There are not enough free seats for this request."},
    "hold_expired": {"nl": "Je reservering is verlopen; de plaatsen zijn weer vrij.",
                     "fr": "Votre réservation a expiré ; les places sont à nouveau libres.",
                     "en": "Your hold has expired; the places are free again."},
    "not_on_sale": {"nl": "Voor deze voorstelling is de verkoop niet open.",
                    "fr": "La vente n'est pas ouverte pour cette représentation.",
                    "en": "Sales are not open for this performance."},
}


def negotiate_language(accept_language: str | None, default: str = "nl") -> str:
    """Pick nl, fr or en from an Accept-Language header by its q-values; default Dutch."""
    if not accept_language:
        return default
    choices = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            choices.append((-quality, position, tag))
    return min(choices)[2] if choices else default


def problem_title(code: str, language: str) -> str:
    titles = PROBLEM_TITLES.get(code) or PROBLEM_TITLES["validation_failed"]
    return titles.get(language, titles["en"])


def buyer_message(code: str, language: str, **values: str) -> str | None:
    texts = BUYER_MESSAGES.get(code)
    if texts is None:
        return None
    return texts.get(language, texts["en"]).format(**values)
