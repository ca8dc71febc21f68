// jarip Web Push: one tag on the merchant's page subscribes the signed-in customer's browser.
//
//   <script src="{public_url}/push/subscribe.js" data-customer-token="…" async></script>
//
// Optional attributes: data-button="CSS selector" (use that element instead of the button this script
// inserts after itself), data-label-subscribe, data-label-subscribed, data-label-blocked.
// Script API: window.jaripPush.subscribe() (call from a click handler), .unsubscribe(), .state().
//
// The service worker must come from the page's own origin (a browser rule): serve jarip's /push/ path
// there (reverse proxy), and load this script from it. Permission is asked only on a user gesture;
// browsers penalise sites that ask on page load.
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script) return;
  var base = new URL('.', script.src);  // …/push/
  var token = script.getAttribute('data-customer-token') || '';
  var ko = (navigator.language || '').indexOf('ko') === 0;
  var labels = {
    subscribe: script.getAttribute('data-label-subscribe') || (ko ? '알림 받기' : 'Get notifications'),
    subscribed: script.getAttribute('data-label-subscribed') || (ko ? '알림 받는 중' : 'Notifications on'),
    blocked: script.getAttribute('data-label-blocked') ||
        (ko ? '브라우저 설정에서 알림이 차단되어 있습니다' : 'Notifications are blocked in your browser settings'),
    working: ko ? '설정 중…' : 'Setting up…',
  };
  var supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

  function keyBytes(base64url) {
    var padded = (base64url + '===='.slice((base64url.length % 4) || 4)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; ++i) out[i] = raw.charCodeAt(i);
    return out;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;  // the browser does not tell: assume it is ours
    var a = new Uint8Array(current);
    if (a.length !== key.length) return false;
    for (var i = 0; i < a.length; ++i) if (a[i] !== key[i]) return false;
    return true;
  }

  // GET /push/vapid-key: {"public_key": "B…"} (plain text accepted too).
  function vapidKey() {
    return fetch(new URL('vapid-key', base), { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error('jarip push: /push/vapid-key answered ' + r.status);
      var type = r.headers.get('Content-Type') || '';
      return type.indexOf('json') >= 0 ? r.json().then(function (j) { return j.public_key; }) : r.text();
    }).then(function (key) {
      key = (key || '').trim();
      if (!key) throw new Error('jarip push: no VAPID public key');
      return key;
    });
  }

  function register(subscription) {
    return fetch(new URL('subscribe', base), {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer_token: token, subscription: subscription.toJSON() }),
    }).then(function (r) {
      if (!r.ok) throw new Error('jarip push: /push/subscribe answered ' + r.status);
      return subscription;
    });
  }

  // pushManager.subscribe needs an active worker. (navigator.serviceWorker.ready would wait for one
  // controlling this page, which a worker scoped to /push/ never does.)
  function activated(registration) {
    if (registration.active) return Promise.resolve(registration);
    var worker = registration.installing || registration.waiting;
    return new Promise(function (resolve, reject) {
      worker.addEventListener('statechange', function () {
        if (worker.state === 'activated') resolve(registration);
        else if (worker.state === 'redundant') reject(new Error('jarip push: the service worker failed to install'));
      });
    });
  }

  function subscribe() {
    if (!supported) return Promise.reject(new Error('jarip push: this browser has no Web Push'));
    if (!token) return Promise.reject(new Error('jarip push: data-customer-token is missing'));
    // Asked first, while the click still counts as a user gesture (Safari drops it after an await).
    var permission = Notification.requestPermission();
    return Promise.resolve(permission).then(function (answer) {
      if (answer !== 'granted') throw new Error('jarip push: permission ' + answer);
      return Promise.all([navigator.serviceWorker.register(new URL('sw.js', base)), vapidKey()]);
    }).then(function (parts) {
      var registration = parts[0];
      var key = keyBytes(parts[1]);
      return activated(registration).then(function () {
        return registration.pushManager.getSubscription();
      }).then(function (existing) {
        // A subscription made for another key (the server's keys changed) would be refused: renew it.
        if (existing && sameKey(existing, key)) return existing;
        return (existing ? existing.unsubscribe() : Promise.resolve()).then(function () {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      }).then(function (subscription) {
        if (registration.active) {
          registration.active.postMessage({
            type: 'jarip-push-config',
            config: { subscribe_url: new URL('subscribe', base).href, vapid_key: parts[1], customer_token: token },
          });
        }
        return register(subscription);
      });
    });
  }

  function unsubscribe() {
    if (!supported) return Promise.resolve(false);
    return navigator.serviceWorker.getRegistration(new URL('sw.js', base).href).then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      // jarip forgets it when the push service next answers 410.
      return subscription ? subscription.unsubscribe() : false;
    });
  }

  function state() {
    if (!supported) return Promise.resolve('unsupported');
    if (Notification.permission === 'denied') return Promise.resolve('blocked');
    return navigator.serviceWorker.getRegistration(new URL('sw.js', base).href).then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      return subscription && Notification.permission === 'granted' ? 'subscribed' : 'available';
    });
  }

  window.jaripPush = { subscribe: subscribe, unsubscribe: unsubscribe, state: state };

  function wire(button, inserted) {
    function show(current) {
      if (current === 'unsupported') {
        if (inserted) button.hidden = true;
        return;
      }
      button.disabled = current !== 'available';
      if (inserted) {
        button.textContent = current === 'subscribed' ? labels.subscribed : current === 'blocked' ? labels.blocked
                                                                                                  : labels.subscribe;
      }
    }
    button.addEventListener('click', function (event) {
      event.preventDefault();
      button.disabled = true;
      if (inserted) button.textContent = labels.working;
      subscribe().then(function () { show('subscribed'); }, function (error) {
        if (window.console) console.warn(error);
        state().then(show);
      });
    });
    state().then(show);
  }

  function start() {
    var selector = script.getAttribute('data-button');
    if (selector) {
      var target = document.querySelector(selector);
      if (target) wire(target, false);
      else if (window.console) console.warn('jarip push: no element matches ' + selector);
      return;
    }
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'jarip-push-button';
    button.textContent = labels.subscribe;
    script.parentNode.insertBefore(button, script.nextSibling);
    wire(button, true);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
