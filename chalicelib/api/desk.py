"""The box office desk page for house staff: find a performance, hold places, sell or reserve the cart, print.

The page is rendered here (the chosen performance's seat map with the buyer pages' markup); its script
(`static/desk.js`, with `pages.js` for the seat map) asks for the staff token once (kept in the tab's
sessionStorage), holds places with the desk's own buyer session and sells with
`POST /staff/box-office/sales` or reserves with `POST /staff/box-office/reservations` (paid or cancelled from the
page's list of open reservations). Without a token the page holds nothing: every write is an API call.
"""
from __future__ import annotations

from chalice import Blueprint, Response

from ..domain.catalog import utcnow
from ..domain.customers import consent_choices
from ..domain.errors import NotFound
from ..services import availability
from ..settings import get_settings
from ..store import catalog as store
from ..web.rendering import localized, render
from ..web.seatmaps import seat_map_for
from .auth import public_route
from .http import endpoint, language_of

desk = Blueprint(__name__)
route = endpoint(desk)
SEARCH_RESULTS = 30

DESK_TEXTS = {
    "nl": {
        "title": "Kassa", "token": "Aanmeldcode (kassa)", "sign_in": "Aanmelden", "sign_out": "Afmelden",
        "signed_in": "Aangemeld: {house}", "bad_token": "Deze aanmeldcode werkt niet (kassa of beheer van een huis).",
        "search": "Voorstelling zoeken", "search_label": "Titel, huis, zaal of datum", "search_button": "Zoeken",
        "results": "Voorstellingen", "no_results": "Geen voorstelling gevonden.", "free": "{n} vrij",
        "not_on_sale": "niet te koop", "choose": "Kies", "own_house": "eigen huis",
        "seats": "Plaatsen kiezen", "map_help": "Pijltjestoetsen: van stoel naar stoel; spatie of Enter kiest.",
        "none_chosen": "Nog geen stoelen gekozen.", "chosen": "Gekozen: {seats}",
        "too_many": "Hoogstens {n} plaatsen per keer.", "add_seats": "Gekozen stoelen in het mandje",
        "best": "Beste plaatsen", "count": "Aantal", "category": "Categorie", "any_category": "Om het even",
        "add_best": "Beste plaatsen in het mandje", "standing": "Staanplaatsen", "add_standing": "In het mandje",
        "tariff": "Tarief", "cart": "Mandje", "empty_cart": "Het mandje is leeg.", "remove": "Verwijder",
        "standing_place": "staanplaats", "subtotal": "Subtotaal {house}", "total": "Totaal",
        "expires": "Vastgehouden tot {time}", "pay": "Betalen", "method": "Betaalwijze", "cash": "Contant",
        "card_terminal": "Kaartterminal", "invoice": "Factuur", "buyer": "Koper (niet verplicht)",
        "buyer_help": "Met een e-mailadres krijgt de koper de tickets ook per e-mail.", "name": "Naam",
        "email": "E-mailadres", "consents": "Keuzes van de koper (niet verplicht)", "sell": "Verkopen",
        "sold": "Verkocht: {n} tickets", "tickets": "Tickets", "print": "Tickets afdrukken (pdf)",
        "new_sale": "Nieuwe verkoop", "held": "In het mandje.", "working": "Even geduld…",
        "error": "Dat lukte niet", "needs_js": "De kassa werkt met JavaScript.", "the_house": "het huis",
        "and": " en ", "sign_in_first": "Meld je eerst aan.",
        "reserve": "Reserveren, later betalen", "reserve_until": "Gereserveerd tot (tijd in Brussel)",
        "reserve_help": "Voor een reservering zijn de naam en het e-mailadres van de koper nodig.",
        "reserve_button": "Reserveren", "reserve_needs_buyer": "Vul de naam en het e-mailadres van de koper in.",
        "reserve_needs_until": "Kies tot wanneer de plaatsen gereserveerd blijven.",
        "reserved": "Gereserveerd voor {name} tot {time}.", "reservations": "Open reserveringen",
        "no_reservations": "Geen open reserveringen.", "until": "tot {time}", "paid": "Betaald:",
        "cancel": "Annuleren", "cancelled": "Reservering van {name} geannuleerd.", "reservation_of": "Reservering van {name}",
        "allocations": "Onze contingenten (van andere huizen)", "no_allocations": "Geen lopende contingenten.",
        "allocation_size": "{n} plaatsen",
    },
    "fr": {
        "title": "Billetterie", "token": "Code d'accès (billetterie)", "sign_in": "Se connecter",
        "sign_out": "Se déconnecter", "signed_in": "Connecté : {house}",
        "bad_token": "Ce code d'accès ne fonctionne pas (billetterie ou gestion d'une maison).",
        "search": "Chercher une représentation", "search_label": "Titre, maison, salle ou date",
        "search_button": "Chercher", "results": "Représentations", "no_results": "Aucune représentation trouvée.",
        "free": "{n} libres", "not_on_sale": "pas en vente", "choose": "Choisir", "own_house": "notre maison",
        "seats": "Choisir les places", "map_help": "Flèches : d'un siège à l'autre ; Espace ou Entrée choisit.",
        "none_chosen": "Aucun siège choisi.", "chosen": "Choisis : {seats}", "too_many": "Au plus {n} places à la fois.",
        "add_seats": "Sièges choisis au panier", "best": "Meilleures places", "count": "Nombre",
        "category": "Catégorie", "any_category": "Peu importe", "add_best": "Meilleures places au panier",
        "standing": "Places debout", "add_standing": "Au panier", "tariff": "Tarif", "cart": "Panier",
        "empty_cart": "Le panier est vide.", "remove": "Retirer", "standing_place": "place debout",
        "subtotal": "Sous-total {house}", "total": "Total", "expires": "Réservé jusqu'à {time}", "pay": "Paiement",
        "method": "Mode de paiement", "cash": "Espèces", "card_terminal": "Terminal de paiement",
        "invoice": "Facture", "buyer": "Acheteur (facultatif)",
        "buyer_help": "Avec une adresse e-mail, l'acheteur reçoit aussi les billets par e-mail.", "name": "Nom",
        "email": "Adresse e-mail", "consents": "Choix de l'acheteur (facultatifs)", "sell": "Vendre",
        "sold": "Vendu : {n} billets", "tickets": "Billets", "print": "Imprimer les billets (pdf)",
        "new_sale": "Nouvelle vente", "held": "Au panier.", "working": "Un instant…", "error": "Cela n'a pas marché",
        "needs_js": "La billetterie a besoin de JavaScript.", "the_house": "la maison", "and": " et ",
        "sign_in_first": "Connectez-vous d'abord.",
        "reserve": "Réserver, payer plus tard", "reserve_until": "Réservé jusqu'à (heure de Bruxelles)",
        "reserve_help": "Une réservation demande le nom et l'adresse e-mail de l'acheteur.",
        "reserve_button": "Réserver", "reserve_needs_buyer": "Indiquez le nom et l'adresse e-mail de l'acheteur.",
        "reserve_needs_until": "Choisissez jusqu'à quand les places restent réservées.",
        "reserved": "Réservé pour {name} jusqu'au {time}.", "reservations": "Réservations ouvertes",
        "no_reservations": "Aucune réservation ouverte.", "until": "jusqu'au {time}", "paid": "Payé :",
        "cancel": "Annuler", "cancelled": "Réservation de {name} annulée.", "reservation_of": "Réservation de {name}",
        "allocations": "Nos contingents (d'autres maisons)", "no_allocations": "Aucun contingent en cours.",
        "allocation_size": "{n} places",
    },
    "en": {
        "title": "Box office", "token": "Access code (box office)", "sign_in": "Sign in", "sign_out": "Sign out",
        "signed_in": "Signed in: {house}", "bad_token": "This access code does not work (box office or house admin).",
        "search": "Find a performance", "search_label": "Title, house, hall or date", "search_button": "Search",
        "results": "Performances", "no_results": "No performance found.", "free": "{n} free",
        "not_on_sale": "not on sale", "choose": "Choose", "own_house": "own house", "seats": "Choose seats",
        "map_help": "Arrow keys move between seats; Space or Enter picks one.", "none_chosen": "No seats chosen yet.",
        "chosen": "Chosen: {seats}", "too_many": "At most {n} places at once.", "add_seats": "Chosen seats to the cart",
        "best": "Best available", "count": "Number", "category": "Category", "any_category": "Any",
        "add_best": "Best seats to the cart", "standing": "Standing places", "add_standing": "To the cart",
        "tariff": "Tariff", "cart": "Cart", "empty_cart": "The cart is empty.", "remove": "Remove",
        "standing_place": "standing", "subtotal": "Subtotal {house}", "total": "Total", "expires": "Held until {time}",
        "pay": "Payment", "method": "Paid by", "cash": "Cash", "card_terminal": "Card terminal", "invoice": "Invoice",
        "buyer": "Buyer (optional)", "buyer_help": "With an e-mail address the buyer also gets the tickets by e-mail.",
        "name": "Name", "email": "E-mail address", "consents": "The buyer's choices (optional)", "sell": "Sell",
        "sold": "Sold: {n} tickets", "tickets": "Tickets", "print": "Print the tickets (PDF)", "new_sale": "New sale",
        "held": "In the cart.", "working": "One moment…", "error": "That did not work",
        "needs_js": "The box office needs JavaScript.", "the_house": "the house", "and": " and ",
        "sign_in_first": "Sign in first.",
        "reserve": "Reserve, pay later", "reserve_until": "Reserved until (Brussels time)",
        "reserve_help": "A reservation needs the buyer's name and e-mail address.",
        "reserve_button": "Reserve", "reserve_needs_buyer": "Fill in the buyer's name and e-mail address.",
        "reserve_needs_until": "Choose until when the places stay reserved.",
        "reserved": "Reserved for {name} until {time}.", "reservations": "Open reservations",
        "no_reservations": "No open reservations.", "until": "until {time}", "paid": "Paid:",
        "cancel": "Cancel", "cancelled": "Reservation of {name} cancelled.", "reservation_of": "Reservation of {name}",
        "allocations": "Our allocations (from other houses)", "no_allocations": "No current allocations.",
        "allocation_size": "{n} places",
    },
}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
    "connect-src 'self' blob:", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'"])


def _matches(performance, text: str, houses: dict[str, str]) -> bool:
    words = text.lower().split()
    haystack = " ".join([*performance.title.values(), houses.get(performance.house_id, ""), performance.venue_name or "",
                         performance.starts_at.isoformat()]).lower()
    return all(word in haystack for word in words)


@desk.route("/staff/desk", methods=["GET"])
@route
@public_route()
def desk_page():
    """The desk (`?q=` finds performances without the script, `?performance=` shows one to sell from)."""
    request = desk.current_request
    language = language_of(request)
    texts = DESK_TEXTS[language]
    params = request.query_params or {}
    query, performance_id = params.get("q", "").strip()[:100], params.get("performance", "").strip()[:100]
    now = utcnow()
    houses = {house.id: house.name for house in store.list_houses()}
    results = []
    if query:
        upcoming = [p for p in store.list_agenda() if p.starts_at >= now]
        results = [{"id": p.id, "title": localized(p.title, language), "house": houses.get(p.house_id, p.house_id),
                    "starts_at": p.starts_at, "on_sale": p.is_on_sale(now)}
                   for p in upcoming if _matches(p, query, houses)][:SEARCH_RESULTS]
    chosen = None
    if performance_id:
        try:
            performance = store.get_performance(performance_id)
        except NotFound:
            performance = None
        if performance is not None:
            states, summary = availability.seat_map_states(performance, now)  # the desk sees seats live
            chosen = {
                "performance": performance, "title": localized(performance.title, language),
                "house": houses.get(performance.house_id, performance.house_id),
                "availability": summary, "on_sale": performance.is_on_sale(now),
                "tariffs": [{"code": t.code, "name": localized(t.name, language) or t.code} for t in performance.tariffs],
                "seatmap": seat_map_for(performance, store.get_performance_seatmap(performance.id), states,
                                        language) if performance.seated else None,
            }
    settings = get_settings()
    consents = {choice.kind.value: choice.wording for choice in consent_choices(
        False, False, language, "{house}", settings.cluster_name, now, "box_office")}
    body = render("staff/desk.html", language, t=texts, query=query, results=results, chosen=chosen,
                  consents=consents, cluster=settings.cluster_name, taken=[], max_places=settings.max_seats_per_hold)
    return Response(body=body, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Language": language, "Cache-Control": "no-store",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})
