/* Progressive enhancement of the hosted pages: seat map, zoom, live availability, iframe height. */
(function () {
  "use strict";

  function seatMap(svg) {
    var seats = Array.prototype.slice.call(svg.querySelectorAll(".seat"));
    var form = document.querySelector("[data-seat-form]");
    var status = document.querySelector("[data-selection]");
    var max = parseInt(svg.getAttribute("data-max"), 10) || 10;
    var rows = [];
    seats.forEach(function (seat) {
      var r = +seat.getAttribute("data-row");
      (rows[r] = rows[r] || []).push(seat);
    });
    rows.forEach(function (row) { row.sort(function (a, b) { return +a.getAttribute("data-pos") - +b.getAttribute("data-pos"); }); });
    var current = seats.filter(function (s) { return s.classList.contains("free"); })[0] || seats[0];
    if (current) current.setAttribute("tabindex", "0");

    function chosen() { return seats.filter(function (s) { return s.getAttribute("aria-checked") === "true"; }); }
    function announce(extra) {
      var list = chosen().map(function (s) { return s.getAttribute("aria-label").split(",").slice(0, 3).join(","); });
      status.textContent = extra || (list.length ? status.getAttribute("data-some").replace("{seats}", list.join("; ")) : status.getAttribute("data-none"));
    }
    function focusSeat(seat) {
      if (!seat) return;
      current.setAttribute("tabindex", "-1");
      seat.setAttribute("tabindex", "0");
      current = seat;
      seat.focus();
    }
    function toggle(seat) {
      if (seat.getAttribute("aria-disabled") === "true") return;
      var on = seat.getAttribute("aria-checked") !== "true";
      if (on && chosen().length >= max) { announce(status.getAttribute("data-too-many")); return; }
      seat.setAttribute("aria-checked", on ? "true" : "false");
      announce();
    }
    function nearestIn(row, x) {
      if (!row) return null;
      var best = null, distance = Infinity;
      row.forEach(function (s) { var d = Math.abs(+s.getAttribute("data-x") - x); if (d < distance) { distance = d; best = s; } });
      return best;
    }
    seats.forEach(function (seat) {
      seat.addEventListener("click", function () { focusSeat(seat); toggle(seat); });
      seat.addEventListener("keydown", function (event) {
        var r = +seat.getAttribute("data-row"), p = +seat.getAttribute("data-pos"), x = +seat.getAttribute("data-x");
        var next = null;
        switch (event.key) {
          case "ArrowRight": next = rows[r][p + 1]; break;
          case "ArrowLeft": next = rows[r][p - 1]; break;
          case "ArrowDown": next = nearestIn(rows[r + 1], x); break;
          case "ArrowUp": next = nearestIn(rows[r - 1], x); break;
          case "Home": next = rows[r][0]; break;
          case "End": next = rows[r][rows[r].length - 1]; break;
          case " ": case "Enter": event.preventDefault(); toggle(seat); return;
          default: return;
        }
        event.preventDefault();
        focusSeat(next);
      });
    });
    form.addEventListener("submit", function (event) {
      var list = chosen();
      if (!list.length) { event.preventDefault(); announce(); status.focus && status.focus(); return; }
      list.forEach(function (seat) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "seat"; input.value = seat.getAttribute("data-seat");
        form.appendChild(input);
      });
    });
    // Zoom: the map is drawn at a multiple of the viewport's width and scrolls inside it.
    var controls = document.querySelector("[data-zoom-controls]");
    var zoom = 1;
    function apply() { svg.style.width = (zoom * 100) + "%"; }
    if (controls) {
      controls.hidden = false;
      controls.addEventListener("click", function (event) {
        var kind = event.target.getAttribute("data-zoom");
        if (!kind) return;
        zoom = kind === "in" ? Math.min(zoom * 1.5, 6) : kind === "out" ? Math.max(zoom / 1.5, 1) : 1;
        apply();
      });
      apply();
    }
  }

  function liveAgenda(box) {
    var updated = document.querySelector("[data-updated]");
    function refresh() {
      var url = "/agenda?from=" + encodeURIComponent(box.getAttribute("data-from")) + "&to=" + encodeURIComponent(box.getAttribute("data-to"));
      fetch(url, { headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); }).then(function (data) {
        data.performances.forEach(function (p) {
          var item = box.querySelector('[data-performance="' + p.id + '"]');
          if (!item || !p.availability) return;
          var level = p.availability.level, badge = item.querySelector("[data-level]"), free = item.querySelector("[data-available]");
          badge.className = "badge level-" + level;
          badge.textContent = level === "sold_out" ? box.getAttribute("data-text-sold-out") : level === "few_left" ? box.getAttribute("data-text-few") : box.getAttribute("data-text-available");
          if (free) free.textContent = level === "sold_out" ? "" : box.getAttribute("data-text-free").replace("{count}", p.availability.available);
        });
        var now = new Date();
        updated.textContent = updated.getAttribute("data-text").replace("{time}", now.toLocaleTimeString(document.documentElement.lang + "-BE", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Brussels" }));
      }).catch(function () { /* the next round tries again */ });
    }
    refresh();
    setInterval(refresh, 15000);
  }

  function reportHeight() {
    if (window.parent === window || document.body.getAttribute("data-embed") !== "1") return;
    var last = 0;
    function send() {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (height !== last) { last = height; window.parent.postMessage({ type: "podium:resize", height: height }, "*"); }
    }
    if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
    window.addEventListener("load", send);
    send();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var svg = document.querySelector("svg.seatmap");
    if (svg) seatMap(svg);
    var box = document.querySelector("[data-live-agenda]");
    if (box) liveAgenda(box);
    var reload = document.querySelector("[data-reload]");
    if (reload) setTimeout(function () { window.location.reload(); }, 1000 * +reload.getAttribute("data-reload"));
    var error = document.getElementById("hold-error");
    if (error) error.focus();
    reportHeight();
  });
})();
