"""Hosted pages: the buyer's (`/p/…`: agenda, performance with seat map, bundles, subscriptions, cart, checkout,
pay, tickets, preferences) and the staff's (the box office desk, the door scanner), server-rendered with Jinja2
from the same services as the JSON API; a little progressive JavaScript makes the seat map clickable, zoomable and
operable by keyboard.

One module per page family; `shared.py` is what they share (the request's `Page`, `page_route`, forms, the error
page), `rendering.py` and `seatmaps.py` draw them, `templates/` and `static/` hold the markup, styles and scripts.
Importing the package registers every family's routes on its blueprint: `pages` (the buyer pages),
`offer_pages` (the cart's code and donation forms), `preference_pages` (the buyer's rights behind the e-mail
link), `subscription_pages` and `desk`.
"""

from . import agenda, assets, bundles, cart, checkout, performance  # noqa: F401  (their routes join `pages`)
from .offers import offer_pages
from .preferences import preference_pages
from .shared import pages
from .staff import desk
from .subscriptions import subscription_pages

__all__ = ["desk", "offer_pages", "pages", "preference_pages", "subscription_pages"]
