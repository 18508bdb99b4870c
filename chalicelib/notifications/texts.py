"""The words of the buyer e-mails in Dutch (default), French and English."""
from __future__ import annotations

LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "nl"

REFUND_REASONS = ("seats_lost", "refunded_by_house", "performance_cancelled")

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "tickets_subject": "Je tickets — bestelling {order_id}",
        "greeting": "Beste {name},",
        "tickets_intro": "Bedankt voor je bestelling {order_id}. Je tickets zitten als PDF in de bijlage.",
        "tickets_one": "1 ticket",
        "tickets_other": "{count} tickets",
        "total": "Totaal: {amount}",
        "tickets_howto": "Toon je tickets aan de ingang, op papier of op je smartphone. Elke code geeft één keer "
                         "toegang: deel hem niet.",
        "manage": "Je bestelling bekijken",
        "manage_at": "Je bestelling bekijken: {url}",
        "subscription_code": "Je abonnementscode (bewaar hem: daarmee bekijk en ruil je je keuzes): {code}",
        "closing": "Tot in de zaal!",
        "refund_subject": "Terugbetaling — bestelling {order_id}",
        "refund_intro": "We hebben {amount} terugbetaald voor je bestelling {order_id}.",
        "refund_seats_lost": "Een plaats van je bestelling werd door iemand anders genomen nadat je reservering "
                             "verlopen was. Daarom hebben we je volledig terugbetaald: je betaalt er niets voor.",
        "refund_refunded_by_house": "De organisator heeft je bestelling (of een deel ervan) terugbetaald. "
                                    "Terugbetaalde tickets zijn niet meer geldig.",
        "refund_performance_cancelled": "De voorstelling is geannuleerd. Daarom hebben we je tickets volledig "
                                        "terugbetaald. Het spijt ons.",
        "refund_timing": "Het bedrag gaat terug naar de betaalwijze die je gebruikte; afhankelijk van je bank "
                         "duurt het enkele werkdagen voor je het op je rekening ziet.",
        "refund_closing": "Met vriendelijke groet,",
        "link_subject": "Je link naar je gegevens en keuzes",
        "link_greeting": "Hallo,",
        "link_intro": "Je vroeg een nieuwe link. Daarmee kies je of de huizen je nieuws mogen sturen en je "
                      "gegevens mogen delen, download je je gegevens of laat je ze wissen:",
        "link_ignore": "Vroeg je niets? Dan mag je deze e-mail vergeten: er verandert niets.",
        "preferences": "Je gegevens en keuzes",
        "preferences_line": "Je krijgt deze e-mail omdat je tickets kocht. Wat de huizen over je bijhouden, of ze je "
                            "nieuws mogen sturen en of ze je gegevens delen, kies je zelf; daar kan je ook je "
                            "gegevens downloaden of laten wissen: {url}",
    },
    "fr": {
        "tickets_subject": "Vos billets — commande {order_id}",
        "greeting": "Bonjour {name},",
        "tickets_intro": "Merci pour votre commande {order_id}. Vos billets sont joints en PDF.",
        "tickets_one": "1 billet",
        "tickets_other": "{count} billets",
        "total": "Total\u00a0: {amount}",
        "tickets_howto": "Présentez vos billets à l'entrée, imprimés ou sur votre smartphone. Chaque code donne "
                         "accès une seule fois : ne le partagez pas.",
        "manage": "Voir votre commande",
        "manage_at": "Voir votre commande\u00a0: {url}",
        "subscription_code": "Votre code d'abonnement (conservez-le\u00a0: il permet de voir et d'échanger vos "
                             "choix)\u00a0: {code}",
        "closing": "À bientôt dans la salle !",
        "refund_subject": "Remboursement — commande {order_id}",
        "refund_intro": "Nous vous avons remboursé {amount} pour votre commande {order_id}.",
        "refund_seats_lost": "Une place de votre commande a été prise par quelqu'un d'autre après l'expiration de "
                             "votre réservation. Nous vous avons donc remboursé intégralement : vous ne payez rien.",
        "refund_refunded_by_house": "L'organisateur a remboursé votre commande (ou une partie de celle-ci). "
                                    "Les billets remboursés ne sont plus valables.",
        "refund_performance_cancelled": "La représentation est annulée. Nous vous avons donc remboursé vos billets "
                                        "intégralement. Nous en sommes désolés.",
        "refund_timing": "Le montant revient sur le moyen de paiement utilisé ; selon votre banque, il peut "
                         "falloir quelques jours ouvrables avant qu'il apparaisse sur votre compte.",
        "refund_closing": "Bien cordialement,",
        "link_subject": "Votre lien vers vos données et vos choix",
        "link_greeting": "Bonjour,",
        "link_intro": "Vous avez demandé un nouveau lien. Il vous permet de choisir si les maisons peuvent vous "
                      "envoyer des nouvelles et partager vos données, de télécharger vos données ou de les faire "
                      "effacer :",
        "link_ignore": "Vous n'avez rien demandé ? Ignorez cet e-mail : rien ne change.",
        "preferences": "Vos données et vos choix",
        "preferences_line": "Vous recevez cet e-mail parce que vous avez acheté des billets. Ce que les maisons "
                            "conservent sur vous, si elles peuvent vous envoyer des nouvelles et si elles partagent "
                            "vos données, c'est vous qui le choisissez ; vous pouvez aussi y télécharger ou faire "
                            "effacer vos données : {url}",
    },
    "en": {
        "tickets_subject": "Your tickets — order {order_id}",
        "greeting": "Dear {name},",
        "tickets_intro": "Thank you for your order {order_id}. Your tickets are attached as PDF.",
        "tickets_one": "1 ticket",
        "tickets_other": "{count} tickets",
        "total": "Total: {amount}",
        "tickets_howto": "Show your tickets at the entrance, printed or on your phone. Each code admits once: "
                         "do not share it.",
        "manage": "View your order",
        "manage_at": "View your order: {url}",
        "subscription_code": "Your subscription code (keep it: with it you see and swap your choices): {code}",
        "closing": "See you at the theatre!",
        "refund_subject": "Refund — order {order_id}",
        "refund_intro": "We have refunded {amount} for your order {order_id}.",
        "refund_seats_lost": "A seat of your order was taken by someone else after your reservation expired, so "
                             "we refunded you in full: you pay nothing for it.",
        "refund_refunded_by_house": "The organiser has refunded your order (or part of it). Refunded tickets are "
                                    "no longer valid.",
        "refund_performance_cancelled": "The performance has been cancelled, so we refunded your tickets in full. "
                                        "We are sorry.",
        "refund_timing": "The money goes back to the payment method you used; depending on your bank it may take "
                         "a few working days before you see it on your account.",
        "refund_closing": "Kind regards,",
        "link_subject": "Your link to your details and choices",
        "link_greeting": "Hello,",
        "link_intro": "You asked for a new link. With it you choose whether the houses may send you news and "
                      "share your details, and you can download your data or have it erased:",
        "link_ignore": "Did you not ask for this? Then ignore this e-mail: nothing changes.",
        "preferences": "Your details and choices",
        "preferences_line": "You get this e-mail because you bought tickets. What the houses keep about you, "
                            "whether they may send you news and whether they share your details is up to you; "
                            "there you can also download your data or have it erased: {url}",
    },
}


def email_language(language: str | None) -> str:
    """nl, fr or en from a buyer's language ("fr-BE" → fr); anything else → nl."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def ticket_count(count: int, language: str) -> str:
    """ "1 ticket", "3 billets": the count with the noun in the right number."""
    texts = TEXTS[language]
    return texts["tickets_one"] if count == 1 else texts["tickets_other"].format(count=count)
