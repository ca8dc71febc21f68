// jarip Web Push service worker, served as {public_url}/push/sw.js and registered by subscribe.js.
//
// A push from jarip carries JSON: {"title", "body", "url", "message_id", "unsubscribe_url"} (empty
// members left out). The notification opens `url` when clicked; when `unsubscribe_url` is present
// (advertising), it also offers "수신거부 / Unsubscribe", which POSTs the RFC 8058 one-click body
// there, so that opting out takes one tap as 정보통신망법 §50 expects.
'use strict';

const CONFIG_CACHE = 'jarip-push-v1';
const CONFIG_KEY = '/push/_config';

self.addEventListener('install', () => {
  // A new version takes over at once: it only shows notifications, there is no page state to keep.
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

function text(value) {
  return typeof value === 'string' ? value : '';
}

// Only http(s) targets: a javascript: or data: URL in a payload must never be opened.
function safeUrl(value) {
  if (!text(value)) return '';
  try {
    const url = new URL(text(value), self.location.origin);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '';
  } catch (e) {
    return '';
  }
}

function readPayload(event) {
  if (!event.data) return {};
  try {
    const payload = event.data.json();
    return payload && typeof payload === 'object' ? payload : {};
  } catch (e) {
    return { body: event.data.text() };
  }
}

function korean() {
  return (self.navigator && typeof self.navigator.language === 'string' && self.navigator.language.startsWith('ko'));
}

self.addEventListener('push', (event) => {
  const payload = readPayload(event);
  const data = {
    url: safeUrl(payload.url),
    unsubscribe_url: safeUrl(payload.unsubscribe_url),
    message_id: text(payload.message_id),
  };
  const options = { body: text(payload.body), data };
  // A message delivered twice (a retry after a lost answer) replaces its first notification.
  if (data.message_id) options.tag = 'jarip-' + data.message_id;
  if (data.unsubscribe_url) options.actions = [{ action: 'unsubscribe', title: '수신거부 / Unsubscribe' }];
  const title = text(payload.title) || (korean() ? '새 알림' : 'New notification');
  event.waitUntil(self.registration.showNotification(title, options));
});

async function openWindow(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === url && 'focus' in client) return client.focus();
  }
  if (self.clients.openWindow) return self.clients.openWindow(url);
  return undefined;
}

async function unsubscribe(url) {
  try {
    // The RFC 8058 one-click body, as a simple request: no preflight, so it works from any origin.
    await fetch(url, {
      method: 'POST',
      mode: 'no-cors',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    await self.registration.showNotification(korean() ? '수신거부 처리되었습니다' : 'You are unsubscribed', {
      body: korean() ? '광고성 알림을 더 이상 보내지 않습니다.' : 'No more advertising notifications will be sent.',
      tag: 'jarip-unsubscribed',
    });
  } catch (e) {
    // Offline or blocked: the page behind the link asks for confirmation and does the same.
    await openWindow(url);
  }
}

self.addEventListener('notificationclick', (event) => {
  const notification = event.notification;
  const data = notification.data || {};
  notification.close();
  if (event.action === 'unsubscribe') {
    if (data.unsubscribe_url) event.waitUntil(unsubscribe(data.unsubscribe_url));
    return;
  }
  if (data.url) event.waitUntil(openWindow(data.url));
});

// subscribe.js hands over where to re-register and with which key, for pushsubscriptionchange below.
self.addEventListener('message', (event) => {
  const message = event.data;
  if (!message || message.type !== 'jarip-push-config' || !message.config) return;
  event.waitUntil(
    caches.open(CONFIG_CACHE).then((cache) => cache.put(CONFIG_KEY, new Response(JSON.stringify(message.config)))));
});

async function readConfig() {
  const cache = await caches.open(CONFIG_CACHE);
  const response = await cache.match(CONFIG_KEY);
  return response ? response.json() : null;
}

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(padded);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; ++i) out[i] = raw.charCodeAt(i);
  return out;
}

// The browser replaced the subscription (expiry, key rotation): subscribe again and tell jarip, or the
// customer silently stops receiving anything.
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    const config = await readConfig();
    if (!config || !config.subscribe_url || !config.vapid_key) return;
    const subscription = event.newSubscription ||
        await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(config.vapid_key) });
    await fetch(config.subscribe_url, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer_token: config.customer_token, subscription: subscription.toJSON() }),
    });
  })());
});
