// Keeps the status page current without inline script (the page's CSP allows none): every 30 s it
// reads status.json and reloads the page when the status changed. The page, not this script,
// renders everything, so that all escaping stays in one place (the server).
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) return;
  var url = me.getAttribute("data-json");
  var version = me.getAttribute("data-version");
  if (!url || !version) return;

  function check() {
    if (document.hidden) return;  // checked again when the tab is shown
    fetch(url, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        // "version" is a hash of the content, equal on every node: no reload loop behind a balancer.
        if (s && typeof s.version === "string" && s.version !== version) window.location.reload();
      })
      .catch(function () {});
  }

  window.setInterval(check, 30000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
})();
