/* The box office desk (/staff/desk): the staff token is asked once and kept in this tab's sessionStorage with the
   desk's buyer session and open cart. Places are held with the buyer routes (X-Podium-Session), the cart is sold
   with POST /staff/box-office/sales (or reserved for a named buyer who pays later: POST /staff/box-office/reservations,
   until a Brussels time; the open reservations are listed, paid or cancelled here), the tickets' PDF is fetched with
   the token and opened as a blob. The allocations other houses gave this house (GET /staff/allocations) are listed,
   each linking to its performance.
   pages.js draws the seat map (it adds the chosen seats to the form as hidden inputs before this script reads them). */
document.addEventListener("DOMContentLoaded", function () {  // after pages.js's own (its seat form listener first)
  "use strict";
  var T = JSON.parse(document.getElementById("desk-texts").textContent);
  var store = window.sessionStorage;
  var KEY = { token: "podium-desk-token", house: "podium-desk-house", session: "podium-desk-session",
              cart: "podium-desk-cart", flash: "podium-desk-flash" };
  var lang = document.documentElement.lang || "nl";
  var agenda = { performances: {}, houses: {} };
  var printUrl = null;
  var untilTouched = false;  // the desk chose the reservation's end itself: keep it
  var leaving = false;  // a reload is under way: late answers must not redraw the page that is going away

  function reloadWith(message) {
    if (message) store.setItem(KEY.flash, message);
    leaving = true;
    window.location.reload();
  }

  function $(selector) { return document.querySelector(selector); }
  function text(template, values) {
    return Object.keys(values).reduce(function (s, k) { return s.split("{" + k + "}").join(values[k]); }, template);
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function money(price) {
    return new Intl.NumberFormat(lang + "-BE", { style: "currency", currency: price.currency || "EUR" }).format(price.amount / 100);
  }
  function clock(iso) {
    return new Date(iso).toLocaleTimeString(lang + "-BE", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Brussels" });
  }
  function when(iso) {
    return new Date(iso).toLocaleString(lang + "-BE", { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Brussels" });
  }
  function localized(names) { return names ? (names[lang] || names.nl || names[Object.keys(names)[0]] || "") : ""; }

  function status(message) { $("#desk-status").textContent = message || ""; }
  function fail(error) {
    var box = $("#desk-error");
    box.textContent = T.error + ": " + (error && error.message ? error.message : String(error));
    box.hidden = false;
    box.focus();
    status("");
    if (error && error.status === 401) signOut(T.bad_token);
  }
  function clearError() { var box = $("#desk-error"); box.hidden = true; box.textContent = ""; }

  function session() {
    var token = store.getItem(KEY.session);
    if (!token) {
      var bytes = new Uint8Array(24);
      crypto.getRandomValues(bytes);
      token = btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      store.setItem(KEY.session, token);
    }
    return token;
  }

  function api(method, path, body, token) {
    var headers = { "Accept": "application/json", "X-Podium-Session": session(),
                    "Authorization": "Bearer " + (token || store.getItem(KEY.token) || "") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok) return data;
          var error = new Error(data && data.title ? data.title + (data.detail ? " — " + data.detail : "") : "HTTP " + response.status);
          error.status = response.status; error.code = data && data.code;
          throw error;
        });
      });
  }

  // -- Brussels wall time (the datetime-local input) <-> instants (the API wants an offset) ---------------------
  var brussels = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Brussels", hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  function wall(ms) {
    var parts = {};
    brussels.formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }
  function offsetAt(ms) {  // minutes that Brussels is ahead of UTC at this instant
    var w = wall(ms), whole = Math.floor(ms / 1000) * 1000;
    return Math.round((Date.UTC(+w.year, +w.month - 1, +w.day, +w.hour, +w.minute, +w.second) - whole) / 60000);
  }
  function localValue(ms) { var w = wall(ms); return w.year + "-" + w.month + "-" + w.day + "T" + w.hour + ":" + w.minute; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fromLocal(value) {  // "2026-11-24T18:00" in Brussels -> { ms, iso: "2026-11-24T18:00:00+01:00" }
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(value || "");
    if (!m) return null;
    var asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var offset = offsetAt(asUtc - offsetAt(asUtc) * 60000), abs = Math.abs(offset);
    return { ms: asUtc - offset * 60000, iso: m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":00" +
             (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60) };
  }
  function defaultUntil(cart) {  // tomorrow 18:00, or an hour before the cart's first performance if that is earlier
    var today = wall(Date.now());
    var tomorrow = new Date(Date.UTC(+today.year, +today.month - 1, +today.day + 1)).toISOString().slice(0, 10);
    var until = fromLocal(tomorrow + "T18:00").ms;
    var starts = cart.lines.map(function (l) { var p = agenda.performances[l.performance_id]; return p ? Date.parse(p.starts_at) : NaN; })
      .filter(function (ms) { return !isNaN(ms); });
    if (starts.length) {
      var first = Math.min.apply(null, starts);
      until = Math.min(until, first - 3600 * 1000);
      if (until <= Date.now()) until = first;  // less than an hour to go: until the start
    }
    return localValue(until);
  }

  // -- signing in -------------------------------------------------------------------------------------------
  function signedIn() {
    var house = JSON.parse(store.getItem(KEY.house) || "null");
    var on = !!(store.getItem(KEY.token) && house);
    $("#sign-in").hidden = on;
    $("[data-signed-in]").hidden = !on;
    $("[data-house-name]").textContent = on ? text(T.signed_in, { house: house.name }) : "";
    return on;
  }
  function signOut(message) {
    store.removeItem(KEY.token); store.removeItem(KEY.house);
    signedIn();
    $("[data-reservations-section]").hidden = true;
    $("[data-allocations-section]").hidden = true;
    if (message) status(message);
    $("#desk-token").focus();
  }
  $("#sign-in").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("#desk-token").value.trim();
    api("GET", "/staff/house", undefined, token).then(function (house) {
      store.setItem(KEY.token, token);
      store.setItem(KEY.house, JSON.stringify({ id: house.id, name: house.name }));
      $("#desk-token").value = "";
      clearError();
      signedIn();
      status(text(T.signed_in, { house: house.name }));
      refreshCart();
      refreshReservations();
      refreshAllocations();
      $("#desk-search").focus();
    }).catch(function () { status(""); var box = $("#desk-error"); box.textContent = T.bad_token; box.hidden = false; box.focus(); });
  });
  $("[data-sign-out]").addEventListener("click", function () { signOut(""); });

  // -- finding a performance (the public agenda, filtered here as the desk types) --------------------------
  function loadAgenda() {
    return fetch("/agenda", { headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); }).then(function (data) {
      agenda.houses = data.houses || {};
      data.performances.forEach(function (p) { agenda.performances[p.id] = p; });
    });
  }
  function search() {
    var words = $("#desk-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    var list = $("[data-results]");
    list.textContent = "";
    if (!words.length) return;
    var now = Date.now(), found = 0;
    Object.keys(agenda.performances).map(function (id) { return agenda.performances[id]; })
      .filter(function (p) { return Date.parse(p.starts_at) >= now; })
      .sort(function (a, b) { return Date.parse(a.starts_at) - Date.parse(b.starts_at); })
      .forEach(function (p) {
        var haystack = [Object.values(p.title || {}).join(" "), agenda.houses[p.house_id] || "", p.venue_name || "", p.starts_at_local || ""].join(" ").toLowerCase();
        if (found >= 30 || !words.every(function (w) { return haystack.indexOf(w) >= 0; })) return;
        found += 1;
        var when = new Date(p.starts_at).toLocaleString(lang + "-BE", { dateStyle: "medium", timeStyle: "short", timeZone: "Europe/Brussels" });
        var extra = p.on_sale ? (p.availability ? " · " + text(T.free, { n: p.availability.available }) : "") : " · " + T.not_on_sale;
        list.appendChild(el("li", {}, [el("a", { href: "/staff/desk?performance=" + encodeURIComponent(p.id), text: localized(p.title) }),
          " · " + (agenda.houses[p.house_id] || p.house_id) + " · " + when + extra]));
      });
    if (!found) list.appendChild(el("li", { text: T.no_results }));
  }
  $("[data-search]").addEventListener("submit", function (event) { event.preventDefault(); search(); });
  $("#desk-search").addEventListener("input", search);

  // -- holding places and the cart ----------------------------------------------------------------------------
  function cartId() {
    var id = store.getItem(KEY.cart);
    if (id) return Promise.resolve(id);
    return api("POST", "/carts", {}).then(function (cart) { store.setItem(KEY.cart, cart.id); return cart.id; });
  }
  function putInCart(holdId, tariff, retried) {
    return cartId().then(function (id) {
      return api("PUT", "/carts/" + id + "/holds/" + holdId, tariff ? { tariff: tariff } : {}).catch(function (error) {
        // a cart that was sold or lapsed meanwhile: start a new one, once
        if (retried || [404, 409, 410].indexOf(error.status) < 0) throw error;
        store.removeItem(KEY.cart);
        return putInCart(holdId, tariff, true);
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-hold]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!signedIn()) { status(T.sign_in_first); $("#desk-token").focus(); return; }
      var section = $("[data-performance]");
      var kind = form.getAttribute("data-hold"), body;
      if (kind === "seats") {
        var inputs = Array.prototype.slice.call(form.querySelectorAll('input[name="seat"]'));
        inputs.forEach(function (input) { input.remove(); });
        if (!inputs.length) return;  // pages.js said that no seat is chosen
        body = { seats: inputs.map(function (input) { return input.value; }) };
      } else if (kind === "best") {
        body = { best_available: { count: +form.elements.count.value } };
        if (form.elements.category.value) body.best_available.category = form.elements.category.value;
      } else {
        body = { standing: { count: +form.elements.count.value } };
      }
      var tariff = $("[data-tariff]") ? $("[data-tariff]").value : null;
      clearError(); status(T.working);
      api("POST", "/performances/" + encodeURIComponent(section.getAttribute("data-performance")) + "/holds", body)
        .then(function (hold) { return putInCart(hold.id, tariff); })
        .then(function () { reloadWith(T.held); })
        .catch(fail);
    });
  });

  function tariffName(performanceId, code) {
    var p = agenda.performances[performanceId];
    var tariff = p && (p.tariffs || []).filter(function (t) { return t.code === code; })[0];
    return tariff ? localized(tariff.name) || code : code;
  }
  function describe(line) {
    return line.seat_id ? line.seat_id : T.standing_place;
  }
  function renderCart(cart) {
    if (leaving) return;
    var box = $("[data-cart]");
    box.textContent = "";
    var pay = $("[data-pay]");
    if (!cart || !cart.lines.length) {
      box.appendChild(el("p", { text: T.empty_cart })); pay.hidden = true; untilTouched = false; return;
    }
    if (!untilTouched) $("#reserve-until").value = defaultUntil(cart);
    var groups = {}, order = [];
    cart.lines.forEach(function (line) {
      if (!groups[line.hold_id]) { groups[line.hold_id] = []; order.push(line.hold_id); }
      groups[line.hold_id].push(line);
    });
    var table = el("table", { class: "desk-lines" });
    order.forEach(function (holdId) {
      var lines = groups[holdId], first = lines[0], p = agenda.performances[first.performance_id];
      var title = p ? localized(p.title) : first.performance_id;
      var house = agenda.houses[first.house_id] || first.house_id;
      var cents = lines.reduce(function (sum, l) { return sum + l.price.amount; }, 0);
      var places = first.seat_id ? lines.map(describe).join(", ") : lines.length + " × " + T.standing_place;
      var remove = el("button", { type: "button", class: "button small secondary", "data-remove": holdId,
                                  "aria-label": T.remove + ": " + title + ", " + places, text: T.remove });
      table.appendChild(el("tr", {}, [el("th", { scope: "row" }, [title, el("br"), el("span", { class: "meta", text: house })]),
        el("td", { text: places }), el("td", { text: lines.map(function (l) { return tariffName(l.performance_id, l.tariff); }).filter(function (v, i, a) { return a.indexOf(v) === i; }).join(", ") }),
        el("td", { class: "amount", text: money({ amount: cents, currency: first.price.currency }) }), el("td", {}, [remove])]));
    });
    cart.houses.forEach(function (h) {
      table.appendChild(el("tr", { class: "subtotal" }, [el("th", { scope: "row", colspan: "3", text: text(T.subtotal, { house: agenda.houses[h.house_id] || h.house_id }) }),
        el("td", { class: "amount", text: money(h.subtotal) }), el("td")]));
    });
    table.appendChild(el("tr", { class: "grand" }, [el("th", { scope: "row", colspan: "3", text: T.total }),
      el("td", { class: "amount", text: money(cart.total) }), el("td")]));
    box.appendChild(table);
    if (cart.expires_at) box.appendChild(el("p", { class: "meta", text: text(T.expires, { time: clock(cart.expires_at) }) }));
    var names = cart.houses.map(function (h) { return agenda.houses[h.house_id] || h.house_id; });
    var joined = names.length > 1 ? names.slice(0, -1).join(", ") + T.and + names[names.length - 1] : names[0];
    Array.prototype.forEach.call(document.querySelectorAll("[data-consent]"), function (label) {
      label.textContent = label.getAttribute("data-consent").split("{house}").join(joined);
    });
    pay.hidden = false;
  }
  function refreshCart() {
    var id = store.getItem(KEY.cart);
    if (!id || !signedIn()) { renderCart(null); return Promise.resolve(); }
    return api("GET", "/carts/" + id).then(renderCart).catch(function (error) {
      if (error.status === 404) { store.removeItem(KEY.cart); renderCart(null); } else fail(error);
    });
  }
  $("[data-cart]").addEventListener("click", function (event) {
    var holdId = event.target.getAttribute && event.target.getAttribute("data-remove");
    if (!holdId) return;
    clearError();
    api("DELETE", "/carts/" + store.getItem(KEY.cart) + "/holds/" + holdId).then(function () {
      if ($("[data-performance]")) { reloadWith(""); return; }  // the seat map shows the seats free again
      return refreshCart();
    }).catch(fail);
  });

  // -- selling and printing -----------------------------------------------------------------------------------
  $("[data-sell]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, name = form.elements.name.value.trim(), email = form.elements.email.value.trim();
    var body = { cart_id: store.getItem(KEY.cart), payment_method: form.elements.payment_method.value, language: lang,
                 consents: { marketing: form.elements.marketing.checked, sharing: form.elements.sharing.checked } };
    if (name || email) body.buyer = { name: name, email: email };
    clearError(); status(T.working);
    $("[data-sell-submit]").disabled = true;
    api("POST", "/staff/box-office/sales", body).then(function (sale) {
      store.removeItem(KEY.cart);
      form.reset();
      showSale(sale);
      renderCart(null);
    }).catch(fail).then(function () { $("[data-sell-submit]").disabled = false; });
  });

  $("#reserve-until").addEventListener("input", function () { untilTouched = true; });
  function problem(message, field) {
    var box = $("#desk-error");
    box.textContent = message; box.hidden = false; status("");
    field.focus();
  }
  $("[data-reserve-submit]").addEventListener("click", function () {
    var form = $("[data-sell]"), name = form.elements.name.value.trim(), email = form.elements.email.value.trim();
    clearError();
    if (!name || !email) { problem(T.reserve_needs_buyer, name ? form.elements.email : form.elements.name); return; }
    var until = fromLocal(form.elements.until.value);
    if (!until) { problem(T.reserve_needs_until, form.elements.until); return; }
    var body = { cart_id: store.getItem(KEY.cart), buyer: { name: name, email: email }, language: lang, expires_at: until.iso,
                 consents: { marketing: form.elements.marketing.checked, sharing: form.elements.sharing.checked } };
    status(T.working);
    $("[data-reserve-submit]").disabled = true;
    api("POST", "/staff/box-office/reservations", body).then(function (order) {
      store.removeItem(KEY.cart);
      form.reset();
      renderCart(null);
      status(text(T.reserved, { name: name, time: when(order.expires_at) }));
      return refreshReservations();
    }).catch(fail).then(function () { $("[data-reserve-submit]").disabled = false; });
  });

  // -- open reservations: paid or cancelled at the desk ---------------------------------------------------------
  function reservationTitles(order) {
    var counts = {}, order_ = [];
    order.lines.forEach(function (line) {
      var p = agenda.performances[line.performance_id], title = p ? localized(p.title) : line.performance_id;
      if (!(title in counts)) { counts[title] = 0; order_.push(title); }
      counts[title] += 1;
    });
    return order_.map(function (title) { return counts[title] + " × " + title; }).join(", ");
  }
  function renderReservations(data) {
    var list = $("[data-reservations]");
    list.textContent = "";
    $("[data-reservations-section]").hidden = false;
    var open = (data.reservations || []).slice().sort(function (a, b) { return Date.parse(a.expires_at) - Date.parse(b.expires_at); });
    if (!open.length) { list.appendChild(el("li", { text: T.no_reservations })); return; }
    open.forEach(function (r) {
      var name = r.buyer ? r.buyer.name : r.order_id;
      var actions = el("p", { class: "reservation-actions", role: "group", "aria-label": text(T.reservation_of, { name: name }) },
        [el("span", { text: T.paid })].concat(["cash", "card_terminal", "invoice"].map(function (method) {
          return el("button", { type: "button", class: "button small", "data-pay-reservation": r.order_id, "data-method": method, text: T[method] });
        })).concat([el("button", { type: "button", class: "button small secondary", "data-cancel-reservation": r.order_id, text: T.cancel })]));
      list.appendChild(el("li", { class: "reservation", "data-reservation": r.order_id, "data-buyer": name }, [
        el("p", {}, [el("strong", { text: name }), r.buyer && r.buyer.email ? " · " + r.buyer.email : "",
          " · " + reservationTitles(r) + " · " + money(r.total) + " · ",
          el("time", { datetime: r.expires_at, text: text(T.until, { time: when(r.expires_at) }) })]),
        actions]));
    });
  }
  function refreshReservations() {
    if (!signedIn()) { $("[data-reservations-section]").hidden = true; return Promise.resolve(); }
    return api("GET", "/staff/box-office/reservations").then(renderReservations).catch(fail);
  }
  // -- our allocations: seats or places other houses set aside for this house to sell ---------------------------
  function renderAllocations(data) {
    var list = $("[data-allocations]");
    list.textContent = "";
    $("[data-allocations-section]").hidden = false;
    var live = (data.allocations || []).filter(function (a) { return a.live; });
    if (!live.length) { list.appendChild(el("li", { text: T.no_allocations })); return; }
    live.forEach(function (a) {
      var p = agenda.performances[a.performance_id], title = p ? localized(p.title) : a.performance_id;
      var size = a.places || a.seats.length;
      list.appendChild(el("li", { "data-allocation": a.id }, [
        el("a", { href: "?performance=" + encodeURIComponent(a.performance_id), text: title }),
        " · " + text(T.allocation_size, { n: size }) + (a.seats.length ? " (" + a.seats.join(", ") + ")" : "") + " · ",
        el("time", { datetime: a.returns_at, text: text(T.until, { time: when(a.returns_at) }) })]));
    });
  }
  function refreshAllocations() {
    if (!signedIn()) { $("[data-allocations-section]").hidden = true; return Promise.resolve(); }
    return api("GET", "/staff/allocations").then(renderAllocations).catch(fail);
  }
  $("[data-reservations]").addEventListener("click", function (event) {
    var target = event.target, payId = target.getAttribute && target.getAttribute("data-pay-reservation");
    var cancelId = target.getAttribute && target.getAttribute("data-cancel-reservation");
    if (!payId && !cancelId) return;
    var item = target.closest("[data-reservation]"), name = item.getAttribute("data-buyer");
    Array.prototype.forEach.call(item.querySelectorAll("button"), function (b) { b.disabled = true; });
    clearError(); status(T.working);
    var done;
    if (payId) {
      done = api("POST", "/staff/box-office/reservations/" + encodeURIComponent(payId) + "/payment",
                 { payment_method: target.getAttribute("data-method") }).then(function (sale) {
        showSale(sale);
        return refreshReservations();
      });
    } else {
      done = api("DELETE", "/staff/box-office/reservations/" + encodeURIComponent(cancelId)).then(function () {
        var message = text(T.cancelled, { name: name });
        if ($("[data-performance]")) { reloadWith(message); return; }  // seats free again
        status(message);
        return refreshReservations();
      });
    }
    done.catch(function (error) {
      fail(error);
      Array.prototype.forEach.call(item.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  });

  function showSale(sale) {
    var list = $("[data-sale-tickets]");
    list.textContent = "";
    sale.tickets.forEach(function (ticket) {
      var p = agenda.performances[ticket.performance_id];
      list.appendChild(el("li", { class: "ticket" }, [el("strong", { text: p ? localized(p.title) : ticket.performance_id }),
        " · " + (ticket.seat_label || T.standing_place) + " · " + tariffName(ticket.performance_id, ticket.tariff) + " · " + money(ticket.price)]));
    });
    $("[data-sale-heading]").textContent = text(T.sold, { n: sale.tickets.length }) + " · " + money(sale.total);
    var link = $("[data-print]");
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    $("[data-sale]").hidden = false;
    $("[data-sale-heading]").focus();
    status(text(T.sold, { n: sale.tickets.length }));
    fetch(sale.tickets_pdf, { headers: { "Authorization": "Bearer " + store.getItem(KEY.token), "Accept": "application/pdf" } })
      .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.blob(); })
      .then(function (blob) {
        if (printUrl) URL.revokeObjectURL(printUrl);
        printUrl = URL.createObjectURL(blob);
        link.href = printUrl;
        link.removeAttribute("aria-disabled");
        link.setAttribute("data-ready", "1");
      }).catch(fail);
  }
  $("[data-new-sale]").addEventListener("click", function () { window.location.href = "/staff/desk"; });

  // -- start ---------------------------------------------------------------------------------------------------
  var flash = store.getItem(KEY.flash);
  if (flash) { store.removeItem(KEY.flash); status(flash); }
  if (!signedIn()) $("#sign-in").hidden = false;
  loadAgenda().catch(function () { /* the search still works without the script */ }).then(function () {
    if ($("#desk-search").value) search();
    refreshReservations();
    refreshAllocations();
    return refreshCart();
  });
  if (!signedIn()) $("#desk-token").focus();
});
