"""The pay page as it runs on AWS: Stripe's Payment Element on Podium's own page, in a real browser.

No internet here, so the browser's requests to Stripe are answered by the test as Stripe would answer them:
`https://js.stripe.com/v3/` is a small stand-in of Stripe.js (the calls pay.js makes: `Stripe(key)`,
`elements({clientSecret})`, `create("payment").mount()`, `confirmPayment({elements, confirmParams})`), and its
`https://api.stripe.com/v1/payment_intents/…/confirm` calls (publishable key + client secret) are passed on to
the local payment provider with the secret key. Everything else is real: the page, its CSP (which must let
Stripe's script and API through), the PaymentIntent, the signed webhook and the tickets."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlparse

import pytest
import requests

from tests.integration.conftest import HouseFixture

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import fill_buyer_details, hold_standing, standing

PUBLISHABLE_KEY = "pk_test_podium_pay_page"

STRIPE_JS = """
window.Stripe = function (key, options) {
  var clientSecret = null;
  window.stripeCalls = { key: key, locale: options && options.locale };
  return {
    elements: function (settings) {
      clientSecret = settings.clientSecret;
      return { create: function (kind) {
        window.stripeCalls.element = kind;
        return { mount: function (box) {
          box.innerHTML = '<label for="test-card">Kaart</label>' +
                          '<input id="test-card" name="test-card" value="pm_card_visa" autocomplete="off">';
        } };
      } };
    },
    confirmPayment: function (args) {
      var intent = clientSecret.split("_secret_")[0];
      var body = new URLSearchParams({ key: key, client_secret: clientSecret,
                                       payment_method: document.getElementById("test-card").value,
                                       return_url: args.confirmParams.return_url });
      return fetch("https://api.stripe.com/v1/payment_intents/" + intent + "/confirm", { method: "POST", body: body })
        .then(function (response) { return response.json().then(function (data) {
          if (!response.ok) return { error: data.error };
          var back = new URL(args.confirmParams.return_url);
          back.searchParams.set("payment_intent", intent);
          back.searchParams.set("payment_intent_client_secret", clientSecret);
          back.searchParams.set("redirect_status", data.status === "succeeded" ? "succeeded" : data.status);
          window.location.assign(back.toString());
          return {};
        }); });
    }
  };
};
"""


@pytest.fixture(scope="module")
def stripe_gateway(stack):
    """A gateway whose pages pay as on AWS, with a publishable key (its server side still reaches the local
    provider: there is no Stripe here)."""
    from scripts.embedded.stack import free_port

    port = free_port()
    process = stack.spawn_gateway(
        port,
        PAYMENT_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_JS_URL="https://js.stripe.com/v3/",
        STRIPE_API_URL="https://api.stripe.com",
    )
    yield f"http://{stack.host}:{port}"
    process.terminate()
    process.wait(timeout=10)


def play_stripe(page, stack) -> list[dict]:
    """Answer the page's calls to Stripe; returns the confirm calls Stripe received."""
    secret_key = json.loads(stack.secret_values["PaymentSecret"])["api_key"]
    confirms: list[dict] = []
    page.route(
        "https://js.stripe.com/v3/",
        lambda route: route.fulfill(status=200, body=STRIPE_JS, headers={"Content-Type": "application/javascript"}),
    )

    def api(route, request):
        intent = re.fullmatch(r"/v1/payment_intents/(pi_\w+)/confirm", urlparse(request.url).path).group(1)
        params = dict(parse_qsl(request.post_data or ""))
        confirms.append(params)
        # Stripe accepts a browser's confirm only with the publishable key and that PaymentIntent's client secret.
        assert params.pop("key") == PUBLISHABLE_KEY
        assert params.pop("client_secret").startswith(intent + "_secret_")
        answer = requests.post(
            f"{stack.payments.url}/v1/payment_intents/{intent}/confirm",
            data=params,
            headers={"Authorization": f"Bearer {secret_key}"},
            timeout=10,
        )
        route.fulfill(
            status=answer.status_code,
            body=answer.text,
            headers={"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        )

    page.route("https://api.stripe.com/v1/**", api)
    return confirms


def test_the_buyer_pays_in_stripes_payment_element_after_a_declined_card(
    stack, signing_key, browser_page, stripe_gateway
):
    page, api = browser_page, stripe_gateway
    confirms = play_stripe(page, stack)
    club = HouseFixture(stack, signing_key)
    concert = standing(club)
    hold_standing(page, api, concert["id"], 2)
    page.click('a[href*="/p/checkout"]')
    fill_buyer_details(page)

    page.wait_for_url(re.compile(r"/p/orders/[^/]+/pay"))
    page.wait_for_selector("#test-card")  # Stripe.js ran under the page's CSP and mounted its element
    assert page.evaluate("window.stripeCalls") == {"key": PUBLISHABLE_KEY, "locale": "nl", "element": "payment"}
    csp = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self' https://js.stripe.com;" in csp and "connect-src 'self' https://api.stripe.com;" in csp
    assert "Betaal € 30,00" in page.text_content("[data-stripe-pay] button[type=submit]").replace("\xa0", " ")
    check_accessibility(page)
    screenshot(page, "pay-stripe")

    page.fill("#test-card", "pm_card_chargeDeclined")
    page.click("[data-stripe-pay] button[type=submit]")
    page.wait_for_selector("#payment-message:not([hidden])")
    assert page.text_content("#payment-message") == "Your card was declined."  # Stripe's own, localized there
    assert page.evaluate("document.activeElement.id") == "payment-message"
    assert page.is_enabled("[data-stripe-pay] button[type=submit]")

    page.fill("#test-card", "pm_card_visa")
    page.click("[data-stripe-pay] button[type=submit]")
    page.wait_for_url(re.compile(r"/p/orders/[^/?]+\?.*redirect_status=succeeded"))
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 2
    assert [c["payment_method"] for c in confirms] == ["pm_card_chargeDeclined", "pm_card_visa"]
    order_page = urlparse(page.url).path
    assert all(urlparse(c["return_url"]).path == order_page for c in confirms)  # back to this order's page
    check_accessibility(page)


def test_without_stripe_js_the_pay_page_says_so_and_keeps_the_places_releasable(
    stack, signing_key, browser_page, stripe_gateway
):
    page, api = browser_page, stripe_gateway
    page.route("https://js.stripe.com/v3/", lambda route: route.abort())  # blocked by a network or an extension
    club = HouseFixture(stack, signing_key)
    concert = standing(club)
    hold_standing(page, api, concert["id"], 1, "?lang=fr")
    page.click('a[href*="/p/checkout"]')
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/[^/]+/pay"))
    page.wait_for_selector("#payment-message:not([hidden])")
    assert "pas disponible" in page.text_content("#payment-message")
    assert page.is_disabled("[data-stripe-pay] button[type=submit]")
    check_accessibility(page)
    page.click("text=Annuler et libérer mes places")
    page.wait_for_url(re.compile(r"/p/orders/[^/?]+(\?.*)?$"))
    seats = requests.get(f"{api}/performances/{concert['id']}", timeout=10).json()
    assert seats["availability"]["available"] == seats["availability"]["capacity"]
