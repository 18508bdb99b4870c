/* The preferences link carries its token in the fragment (#t=…), which browsers never send, so it reaches
 * no server or access log. Hand it over once, in the page's form post, after taking it out of the address
 * bar and the history (a reload or the back button does not post it again). A link opened while this page
 * is already shown only changes the fragment: that is handed over too. */
(function () {
  function handOver() {
    var form = document.getElementById("open-link");
    var match = /(?:^#|&)t=([A-Za-z0-9_.-]+)/.exec(window.location.hash);
    if (!form || !match) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    form.elements.token.value = match[1];
    form.submit();
  }
  window.addEventListener("hashchange", handOver);
  handOver();
})();
