/* The pay page on AWS: Stripe's Payment Element, mounted with the PaymentIntent's client secret.
   Stripe.js confirms the payment in the browser (3-D Secure and Bancontact redirects included) and then sends
   the buyer to the order page with `redirect_status`; the order itself completes on the signed webhook. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-stripe-pay]");
    if (!form) return;
    var message = document.getElementById("payment-message");
    var submit = form.querySelector("button[type=submit]");
    function show(text) {
      message.textContent = text || "";
      message.hidden = !text;
      if (text) message.focus();
    }
    if (typeof window.Stripe !== "function") {  // js.stripe.com unreachable: say so rather than show a dead form
      show(form.getAttribute("data-unavailable"));
      submit.disabled = true;
      return;
    }
    var stripe = window.Stripe(form.getAttribute("data-key"), { locale: form.getAttribute("data-locale") });
    var brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
    var elements = stripe.elements({ clientSecret: form.getAttribute("data-client-secret"),
                                     appearance: brand ? { variables: { colorPrimary: brand } } : {} });
    var box = document.getElementById("payment-element");
    box.textContent = "";
    elements.create("payment").mount(box);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      show("");
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.getAttribute("data-return-url") } })
        .then(function (result) {
          // Only an immediate error comes back here (a declined card, a field left empty); otherwise the browser
          // is already on its way to the return URL.
          if (result && result.error) {
            show(result.error.message || form.getAttribute("data-failed"));
            submit.disabled = false;
          }
        }, function () {
          show(form.getAttribute("data-failed"));
          submit.disabled = false;
        });
    });
  });
})();
