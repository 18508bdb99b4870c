/* Podium's embed snippet for a house's own site.
 *   <div data-podium-embed="https://TICKETS/p/houses/HOUSE"></div>
 *   <script src="https://TICKETS/p/static/embed.js" async></script>
 * Each placeholder becomes an iframe of the hosted checkout that grows with its content. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/", window.location.href).origin;
  function mount() {
    document.querySelectorAll("[data-podium-embed]:not([data-podium-mounted])").forEach(function (holder) {
      var url = new URL(holder.getAttribute("data-podium-embed"), origin);
      url.searchParams.set("embed", "1");
      var frame = document.createElement("iframe");
      frame.src = url.toString();
      frame.title = holder.getAttribute("data-title") || "Tickets";
      frame.style.width = "100%";
      frame.style.minHeight = "480px";
      frame.style.border = "0";
      frame.setAttribute("allow", "payment");
      holder.setAttribute("data-podium-mounted", "1");
      holder.appendChild(frame);
    });
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "podium:resize") return;
    document.querySelectorAll("[data-podium-mounted] iframe").forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = Math.ceil(+event.data.height) + "px";
    });
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount); else mount();
})();
