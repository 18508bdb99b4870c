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
    "link_expired": {"nl": "Link verlopen", "fr": "Lien expiré", "en": "Link expired"},
    "link_used": {"nl": "Link al gebruikt", "fr": "Lien déjà utilisé", "en": "Link used already"},
    "hold_not_active": {"nl": "Reservering niet meer actief", "fr": "Réservation plus active",
                        "en": "Hold no longer active"},
    "hold_too_large": {"nl": "Te veel plaatsen in één keer", "fr": "Trop de places à la fois",
                       "en": "Too many places at once"},
    "conflict": {"nl": "Conflict", "fr": "Conflit", "en": "Conflict"},
    "already_exists": {"nl": "Bestaat al", "fr": "Existe déjà", "en": "Already exists"},
    "checkout_started": {"nl": "Betaling al gestart", "fr": "Paiement déjà commencé", "en": "Checkout already started"},
    "cart_empty": {"nl": "Winkelmandje leeg", "fr": "Panier vide", "en": "Cart is empty"},
    "not_refundable": {"nl": "Niet terug te betalen", "fr": "Non remboursable", "en": "Not refundable"},
    "ticket_rejected": {"nl": "Ticket geweigerd", "fr": "Billet refusé", "en": "Ticket refused"},
    "ticket_malformed": {"nl": "Geen geldig ticket", "fr": "Billet non valable", "en": "Not a valid ticket"},
    "ticket_unknown_key": {"nl": "Onbekende ondertekening", "fr": "Signature inconnue", "en": "Unknown signing key"},
    "ticket_signature_invalid": {"nl": "Vals ticket", "fr": "Faux billet", "en": "Forged ticket"},
    "ticket_not_yet_valid": {"nl": "Ticket nog niet geldig", "fr": "Billet pas encore valable",
                             "en": "Ticket not valid yet"},
    "ticket_expired": {"nl": "Ticket verlopen", "fr": "Billet expiré", "en": "Ticket expired"},
    "ticket_wrong_performance": {"nl": "Ticket voor een andere voorstelling", "fr": "Billet pour une autre représentation",
                                 "en": "Ticket for another performance"},
    "ticket_void": {"nl": "Ticket terugbetaald", "fr": "Billet remboursé", "en": "Ticket refunded"},
    "ticket_already_scanned": {"nl": "Al gescand", "fr": "Déjà scanné", "en": "Already scanned"},
    "unsupported_media_type": {"nl": "Niet-ondersteund formaat", "fr": "Format non pris en charge",
                               "en": "Unsupported media type"},
    "method_not_allowed": {"nl": "Methode niet toegestaan", "fr": "Méthode non autorisée",
                           "en": "Method not allowed"},
    "rate_limited": {"nl": "Te veel verzoeken", "fr": "Trop de requêtes", "en": "Too many requests"},
    "admission_required": {"nl": "Wachtrij", "fr": "File d'attente", "en": "Waiting room"},
    "waiting_room_on": {"nl": "Wachtrij actief", "fr": "File d'attente active", "en": "Waiting room on"},
    "admission_invalid": {"nl": "Ongeldige toegang", "fr": "Accès non valable", "en": "Invalid admission"},
    "admission_expired": {"nl": "Toegang verlopen", "fr": "Accès expiré", "en": "Admission expired"},
    "admission_used": {"nl": "Toegang al gebruikt", "fr": "Accès déjà utilisé", "en": "Admission already used"},
    "not_your_turn": {"nl": "Nog niet aan de beurt", "fr": "Pas encore votre tour", "en": "Not your turn yet"},
    "internal_error": {"nl": "Er ging iets mis", "fr": "Une erreur est survenue", "en": "Something went wrong"},
    "voucher_unknown": {"nl": "Onbekende kortingscode", "fr": "Code de réduction inconnu", "en": "Unknown discount code"},
    "voucher_not_yet_valid": {"nl": "Kortingscode nog niet geldig", "fr": "Code de réduction pas encore valable",
                              "en": "Discount code not valid yet"},
    "voucher_expired": {"nl": "Kortingscode verlopen", "fr": "Code de réduction expiré", "en": "Discount code expired"},
    "voucher_inactive": {"nl": "Kortingscode niet meer geldig", "fr": "Code de réduction plus valable",
                         "en": "Discount code no longer valid"},
    "voucher_used_up": {"nl": "Kortingscode opgebruikt", "fr": "Code de réduction épuisé", "en": "Discount code used up"},
    "voucher_below_minimum": {"nl": "Bedrag te laag voor deze code", "fr": "Montant trop bas pour ce code",
                              "en": "Cart below the code's minimum"},
    "voucher_not_applicable": {"nl": "Code geldt niet voor deze voorstellingen",
                               "fr": "Code non valable pour ces représentations",
                               "en": "Code not valid for these performances"},
    "gift_card_unknown": {"nl": "Onbekende cadeaubon", "fr": "Chèque-cadeau inconnu", "en": "Unknown gift card"},
    "gift_card_empty": {"nl": "Cadeaubon opgebruikt", "fr": "Chèque-cadeau épuisé", "en": "Gift card used up"},
}

# Refusals a buyer acts on get a full sentence in their language; the English `detail` stays for logs/clients.
BUYER_MESSAGES: dict[str, dict[str, str]] = {
    "rate_limited": {"nl": "Even geduld: er kwamen te veel verzoeken na elkaar. Probeer het zo meteen opnieuw.",
                     "fr": "Un instant : trop de requêtes à la suite. Réessayez dans un moment.",
                     "en": "One moment: too many requests in a row. Please try again shortly."},
    "checkout_started": {"nl": "Je betaling voor dit winkelmandje is al gestart; het kan niet meer veranderen.",
                         "fr": "Le paiement de ce panier a déjà commencé ; il ne peut plus changer.",
                         "en": "Payment for this cart has already started; it can no longer change."},
    "cart_empty": {"nl": "Je winkelmandje bevat geen geldige plaatsen meer.",
                   "fr": "Votre panier ne contient plus de places valables.",
                   "en": "Your cart holds no valid places any more."},
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
    "link_expired": {"nl": "Deze link is verlopen. Elke e-mail van ons bevat een nieuwe link naar je gegevens.",
                     "fr": "Ce lien a expiré. Chaque e-mail de notre part contient un nouveau lien vers vos données.",
                     "en": "This link has expired. Every e-mail from us carries a new link to your details."},
    "link_used": {"nl": "Deze link werd al gebruikt. Elke e-mail van ons bevat een nieuwe link naar je gegevens.",
                  "fr": "Ce lien a déjà été utilisé. Chaque e-mail de notre part contient un nouveau lien vers vos données.",
                  "en": "This link was used already. Every e-mail from us carries a new link to your details."},
    "hold_expired": {"nl": "Je reservering is verlopen; de plaatsen zijn weer vrij.",
                     "fr": "Votre réservation a expiré ; les places sont à nouveau libres.",
                     "en": "Your hold has expired; the places are free again."},
    "waiting_room_on": {"nl": "Een voorstelling van dit pakket verkoopt nu via een wachtrij. Het pakket is weer te koop "
                               "zodra de wachtrij sluit; losse tickets koop je via de rij.",
                        "fr": "Une représentation de cette formule est vendue via une file d'attente. La formule sera à "
                              "nouveau en vente à la fermeture de la file ; les billets seuls passent par la file.",
                        "en": "A performance of this package is selling through a waiting room. The package is on sale "
                              "again when the room closes; single tickets go through the line."},
    "admission_required": {"nl": "Voor deze voorstelling loopt de verkoop via een wachtrij. Sluit aan in de rij.",
                           "fr": "La vente de cette représentation passe par une file d'attente. Rejoignez la file.",
                           "en": "Sales for this performance go through a waiting room. Please join the line."},
    "admission_invalid": {"nl": "Je toegangsbewijs voor de wachtrij is niet geldig. Sluit opnieuw aan.",
                          "fr": "Votre accès à la file d'attente n'est pas valable. Rejoignez à nouveau la file.",
                          "en": "Your waiting-room admission is not valid. Please join the line again."},
    "admission_expired": {"nl": "Je beurt is voorbij. Sluit opnieuw aan in de wachtrij.",
                          "fr": "Votre tour est passé. Rejoignez à nouveau la file d'attente.",
                          "en": "Your turn has passed. Please join the line again."},
    "admission_used": {"nl": "Je toegang werd al gebruikt voor een reservering. Sluit opnieuw aan voor meer plaatsen.",
                       "fr": "Votre accès a déjà servi pour une réservation. Rejoignez la file pour d'autres places.",
                       "en": "Your admission was already used for a hold. Join the line again for more places."},
    "not_on_sale": {"nl": "Voor deze voorstelling is de verkoop niet open.",
                    "fr": "La vente n'est pas ouverte pour cette représentation.",
                    "en": "Sales are not open for this performance."},
    "not_a_seller": {"nl": "Deze tickets zijn niet te koop via dit huis. Koop ze bij het huis dat de voorstelling "
                           "speelt.",
                     "fr": "Ces billets ne sont pas en vente via cette maison. Achetez-les auprès de la maison qui "
                           "joue le spectacle.",
                     "en": "These tickets are not sold through this house. Buy them from the house that stages the "
                           "performance."},
    "voucher_unknown": {"nl": "Deze kortingscode bestaat niet. Controleer de code en probeer opnieuw.",
                        "fr": "Ce code de réduction n'existe pas. Vérifiez le code et réessayez.",
                        "en": "This discount code does not exist. Check the code and try again."},
    "voucher_not_yet_valid": {"nl": "Deze kortingscode is nog niet geldig. Probeer het later opnieuw.",
                              "fr": "Ce code de réduction n'est pas encore valable. Réessayez plus tard.",
                              "en": "This discount code is not valid yet. Please try again later."},
    "voucher_expired": {"nl": "Deze kortingscode is verlopen.",
                        "fr": "Ce code de réduction a expiré.",
                        "en": "This discount code has expired."},
    "voucher_inactive": {"nl": "Deze kortingscode is niet meer geldig.",
                         "fr": "Ce code de réduction n'est plus valable.",
                         "en": "This discount code is no longer valid."},
    "voucher_used_up": {"nl": "Deze kortingscode is al zo vaak gebruikt als mag. Haal de code weg om verder te gaan.",
                        "fr": "Ce code de réduction a été utilisé autant de fois que permis. Retirez-le pour continuer.",
                        "en": "This discount code has been used as often as it may be. Remove it to go on."},
    "voucher_below_minimum": {"nl": "Je winkelmandje is te klein voor deze kortingscode.",
                              "fr": "Votre panier est trop petit pour ce code de réduction.",
                              "en": "Your cart is below the minimum amount for this discount code."},
    "voucher_not_applicable": {"nl": "Deze kortingscode geldt niet voor de voorstellingen in je winkelmandje.",
                               "fr": "Ce code de réduction n'est pas valable pour les représentations de votre panier.",
                               "en": "This discount code does not apply to the performances in your cart."},
    "gift_card_unknown": {"nl": "Deze cadeaubon bestaat niet. Controleer de code op je bon.",
                          "fr": "Ce chèque-cadeau n'existe pas. Vérifiez le code sur votre chèque.",
                          "en": "This gift card does not exist. Check the code on your card."},
    "gift_card_empty": {"nl": "Op deze cadeaubon staat geen tegoed meer.",
                        "fr": "Ce chèque-cadeau n'a plus de solde.",
                        "en": "There is no balance left on this gift card."},
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


# What a buyer is told about the end of a checkout that did not become an order (or was refunded).
CHECKOUT_OUTCOMES: dict[str, dict[str, str]] = {
    "payment_timeout": {"nl": "De betaling is niet op tijd gelukt. Je plaatsen zijn vrijgegeven; er werd niets aangerekend.",
                        "fr": "Le paiement n'a pas abouti à temps. Vos places ont été libérées ; rien n'a été débité.",
                        "en": "The payment did not complete in time. Your places were released; nothing was charged."},
    "payment_canceled": {"nl": "De betaling werd geannuleerd. Je plaatsen zijn vrijgegeven; er werd niets aangerekend.",
                         "fr": "Le paiement a été annulé. Vos places ont été libérées ; rien n'a été débité.",
                         "en": "The payment was cancelled. Your places were released; nothing was charged."},
    "cart_expired": {"nl": "Je reservering was verlopen voor de betaling begon. Kies opnieuw je plaatsen.",
                     "fr": "Votre réservation a expiré avant le paiement. Choisissez à nouveau vos places.",
                     "en": "Your hold expired before payment began. Please choose your places again."},
    "seats_lost": {"nl": "Je betaling kwam binnen nadat je reservering verlopen was, en iemand anders had intussen "
                         "{places} gekocht. We hebben je het volledige bedrag terugbetaald.",
                   "fr": "Votre paiement est arrivé après l'expiration de votre réservation et quelqu'un d'autre a "
                         "acheté {places} entre-temps. Nous vous avons remboursé intégralement.",
                   "en": "Your payment arrived after your hold had expired, and someone else bought {places} "
                         "meanwhile. We refunded you in full."},
    "late_payment": {"nl": "Je betaling kwam binnen nadat de bestelling was afgesloten. We hebben je volledig terugbetaald.",
                     "fr": "Votre paiement est arrivé après la clôture de la commande. Nous vous avons remboursé intégralement.",
                     "en": "Your payment arrived after the checkout had closed. We refunded you in full."},
    "fulfilment_failed": {"nl": "Er ging iets mis bij het uitgeven van je tickets. We hebben je volledig terugbetaald.",
                          "fr": "Un problème est survenu lors de l'émission de vos billets. Nous vous avons remboursé intégralement.",
                          "en": "Something went wrong issuing your tickets. We refunded you in full."},
    "checkout_error": {"nl": "Er ging iets mis tijdens het afrekenen. Je plaatsen zijn vrijgegeven; er werd niets aangerekend.",
                       "fr": "Un problème est survenu pendant le paiement. Vos places ont été libérées ; rien n'a été débité.",
                       "en": "Something went wrong during checkout. Your places were released; nothing was charged."},
    "payment_declined": {"nl": "Je betaling werd geweigerd. Probeer een andere kaart of betaalmethode.",
                         "fr": "Votre paiement a été refusé. Essayez une autre carte ou un autre moyen de paiement.",
                         "en": "Your payment was declined. Try another card or payment method."},
}


def checkout_outcome(reason: str, language: str, **values: str) -> str:
    texts = CHECKOUT_OUTCOMES.get(reason) or CHECKOUT_OUTCOMES["checkout_error"]
    return texts.get(language, texts["en"]).format(**values)


def _add_uitpas_texts() -> None:
    from .domain import uitpas

    PROBLEM_TITLES.update(uitpas.PROBLEM_TITLES)
    BUYER_MESSAGES.update(uitpas.BUYER_MESSAGES)
    CHECKOUT_OUTCOMES.update(uitpas.CHECKOUT_OUTCOMES)


_add_uitpas_texts()
