// The peer for bench/webpush_encrypt.cpp: the npm package `web-push` (pinned in bench/package.json)
// doing the same work in a loop on one core, with the same payload size.
//
//   node bench/webpush_node.mjs [SECONDS_PER_CASE=10] [PAYLOAD_BYTES=300]
//   node bench/webpush_node.mjs --check FILE     checks a body + VAPID header jarip made (interop)
//   node bench/webpush_node.mjs --sample FILE    writes a body web-push made, for jarip to decrypt
//
// Cases:
//   generateRequestDetails   what web-push does per send: encrypt (fresh ECDH key, salt, HKDF,
//                            AES-128-GCM) + a VAPID JWT signed anew on every call (it has no cache)
//   encrypt only             webpush.encrypt(): the same per-message crypto as jarip's "request" case,
//                            whose VAPID header comes from its cache
// Prints one JSON object per case, in the C++ benchmark's format.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const webpush = require('web-push');
const ece = require('http_ece');
const version = require('web-push/package.json').version;

const args = process.argv.slice(2);

function b64(buf) {
  return Buffer.from(buf).toString('base64url');
}

function subscriptionFor(ecdh, auth) {
  return {
    endpoint: 'https://fcm.googleapis.com/fcm/send/bench',
    keys: { p256dh: b64(ecdh.getPublicKey()), auth: b64(auth) },
  };
}

if (args[0] === '--check') {
  // A body and Authorization header made by jarip, read with web-push's own decoder (http_ece) and
  // Node's ECDSA verifier.
  const s = JSON.parse(fs.readFileSync(args[1], 'utf8'));
  const ua = crypto.createECDH('prime256v1');
  ua.setPrivateKey(Buffer.from(s.ua_private, 'base64url'));
  const plain = ece.decrypt(Buffer.from(s.body, 'base64url'), {
    version: 'aes128gcm',
    privateKey: ua,
    authSecret: s.auth,
  });
  const decryptOk = plain.toString('utf8') === s.payload;
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(s.header_Authorization);
  const [h, c, sig] = m[1].split('.');
  const pub = Buffer.from(m[2], 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33, 65)) },
    format: 'jwk',
  });
  const jwtOk = crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'));
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const claimsOk = header.alg === 'ES256' && header.typ === 'JWT' && claims.aud === 'https://push.example.net' &&
    typeof claims.exp === 'number' && claims.sub === 'mailto:ops@example.com' && m[2] === s.vapid_public;
  console.log(JSON.stringify({ interop_check: decryptOk && jwtOk && claimsOk, decryptOk, jwtOk, claimsOk }));
  process.exit(decryptOk && jwtOk && claimsOk ? 0 : 1);
}

if (args[0] === '--sample') {
  const ua = crypto.createECDH('prime256v1');
  ua.generateKeys();
  const auth = crypto.randomBytes(16);
  const payload = 'web-push → jarip interop: 한국어 payload';
  const vapid = webpush.generateVAPIDKeys();
  const details = webpush.generateRequestDetails(subscriptionFor(ua, auth), payload, {
    vapidDetails: { subject: 'mailto:ops@example.com', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
    TTL: 60,
  });
  fs.writeFileSync(args[1], JSON.stringify({
    ua_private: b64(ua.getPrivateKey()),
    auth: b64(auth),
    payload,
    body: b64(details.body),
  }) + '\n');
  process.exit(0);
}

const seconds = Number(args[0] ?? 10);
const payloadBytes = Number(args[1] ?? 300);

const ua = crypto.createECDH('prime256v1');
ua.generateKeys();
const auth = crypto.randomBytes(16);
const subscription = subscriptionFor(ua, auth);
const payload = Buffer.alloc(payloadBytes, 'x');
const vapid = webpush.generateVAPIDKeys();
const options = {
  vapidDetails: { subject: 'mailto:ops@example.com', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
  TTL: 3600,
};

function runCase(name, op) {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let ops = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) op();
    ops += 16;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  console.log(JSON.stringify({
    case: `web-push ${version}: ${name}`, node: process.version, threads: 1, seconds: +elapsed.toFixed(2), ops,
    ops_per_s: Math.round(ops / elapsed), us_per_op: +(elapsed * 1e6 / ops).toFixed(1),
  }));
}

// Sanity: what is timed decrypts.
{
  const d = webpush.generateRequestDetails(subscription, payload, options);
  const plain = ece.decrypt(d.body, { version: 'aes128gcm', privateKey: ua, authSecret: subscription.keys.auth });
  if (!plain.equals(payload)) throw new Error('web-push output does not decrypt');
}

runCase('generateRequestDetails', () => webpush.generateRequestDetails(subscription, payload, options));
runCase('encrypt only', () => webpush.encrypt(subscription.keys.p256dh, subscription.keys.auth, payload, 'aes128gcm'));
