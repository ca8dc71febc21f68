// The status banner for the merchant's own site:
//   <script src="https://n.example.kr/status/banner.js" async></script>
// Shows the open notices of the status page in a small dismissible box, in the host page's language
// (<html lang>: Korean unless it says otherwise), and nothing at all while there are none. It reads
// status.json from the directory the script itself came from, so the static copy works the same.
// When that read fails (a web server serving the static copy without CORS headers, or a host page
// whose CSP connect-src leaves our origin out), it loads banner-data.js from the same directory
// instead: the same data as a script, which needs only what loading banner.js needed already.
// It must never disturb the host page: one global (window.jaripStatusBanner, which also keeps a
// second copy from running), DOM built with createElement/textContent only, styles set through
// element.style (no stylesheet to clash with), and every error swallowed.
(function () {
  "use strict";
  if (window.jaripStatusBanner) return;
  var script = document.currentScript;
  if (!script || !script.src || !window.fetch || !window.URL) return;
  var base;
  try {
    base = new URL(".", script.src);
  } catch (e) {
    return;
  }
  var shown = false;
  window.jaripStatusBanner = {
    version: 1,
    // Called by banner-data.js.
    receive: function (s) {
      if (s && typeof s === "object") whenReady(function () { try { show(s); } catch (e) {} });
    }
  };

  var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  var en = lang !== "" && lang.indexOf("ko") !== 0;
  var KEY = "jaripStatusBannerDismissed";

  function pick(pair) {
    pair = pair || {};
    var text = en ? pair.en || pair.ko : pair.ko || pair.en;
    return typeof text === "string" ? text : "";
  }
  function style(el, props) {
    for (var k in props) if (Object.prototype.hasOwnProperty.call(props, k)) el.style[k] = props[k];
  }
  function remembered() {
    try { return window.sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }
  function remember(value) {
    try { window.sessionStorage.setItem(KEY, value); } catch (e) {}
  }

  function show(status) {
    if (shown) return;
    shown = true;
    var open = [];
    var notices = Array.isArray(status.notices) ? status.notices : [];
    for (var i = 0; i < notices.length; i++) if (notices[i] && notices[i].open === true) open.push(notices[i]);
    if (!open.length) return;
    var ids = open.map(function (n) { return String(n.id); }).join(",");
    if (remembered() === ids) return;  // dismissed in this tab, and nothing new since
    var outage = open.some(function (n) { return n.severity === "outage"; });

    var box = document.createElement("div");
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    box.setAttribute("lang", en ? "en" : "ko");
    style(box, {
      position: "fixed", left: "12px", right: "12px", bottom: "12px", zIndex: "2147483000",
      maxWidth: "480px", margin: "0 auto", padding: "12px 44px 12px 14px", boxSizing: "border-box",
      borderRadius: "8px", background: outage ? "#a4262c" : "#7a4d00", color: "#fff", textAlign: "left",
      font: "14px/1.45 system-ui, -apple-system, 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif",
      boxShadow: "0 2px 12px rgba(0,0,0,.3)"
    });
    open.slice(0, 3).forEach(function (n) {
      var p = document.createElement("p");
      style(p, { margin: "0 0 6px 0", padding: "0" });
      var title = document.createElement("strong");
      title.textContent = pick(n.title);
      p.appendChild(title);
      var body = pick(n.body);
      if (body) {
        var span = document.createElement("span");
        style(span, { display: "block" });
        span.textContent = body;
        p.appendChild(span);
      }
      box.appendChild(p);
    });
    var link = document.createElement("a");
    link.href = base.href;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = open.length > 3
      ? (en ? "See all " + open.length + " notices" : "안내 " + open.length + "건 모두 보기")
      : (en ? "Notification status" : "알림 발송 상태 보기");
    style(link, { color: "#fff", textDecoration: "underline" });
    box.appendChild(link);

    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", en ? "Close" : "닫기");
    close.textContent = "\u00d7";
    style(close, {
      position: "absolute", top: "6px", right: "8px", background: "transparent", border: "0",
      color: "#fff", fontSize: "22px", lineHeight: "1", cursor: "pointer", padding: "4px 6px", margin: "0"
    });
    close.addEventListener("click", function () {
      remember(ids);
      if (box.parentNode) box.parentNode.removeChild(box);
    });
    box.appendChild(close);
    document.body.appendChild(box);
  }

  function whenReady(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function loadDataScript() {
    var tag = document.createElement("script");
    // A new URL every 15 s: caches may keep it no longer than status.json itself.
    tag.src = new URL("banner-data.js?t=" + Math.floor(Date.now() / 15000), base).href;
    tag.async = true;
    tag.addEventListener("load", function () { if (tag.parentNode) tag.parentNode.removeChild(tag); });
    tag.addEventListener("error", function () { if (tag.parentNode) tag.parentNode.removeChild(tag); });
    (document.head || document.documentElement).appendChild(tag);
  }

  fetch(new URL("status.json", base).href, { credentials: "omit", cache: "no-cache" })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error("status " + r.status)); })
    .then(function (s) { window.jaripStatusBanner.receive(s); })
    .catch(function () { try { loadDataScript(); } catch (e) {} });
})();
