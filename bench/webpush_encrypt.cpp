// Micro-benchmark of jarip's Web Push encryption (src/channels/webpush): messages encrypted per second
// on one core. One "message" is what build_push_request does per send: a fresh P-256 key pair, the
// subscription's p256dh imported and checked, ECDH, the RFC 8291 HKDF chain, AES-128-GCM over a fixed
// payload, and the VAPID Authorization header from the per-origin cache (signed once, then reused).
// The parts are timed alone as well, and an uncached VAPID JWT (one ES256 signature) for comparison.
//
//   webpush_encrypt [SECONDS_PER_CASE=10] [PAYLOAD_BYTES=300] [THREADS=1] [CASE_FILTER]
//     (CASE_FILTER: run only the cases whose name contains it, e.g. "request")
//   webpush_encrypt --sample FILE     writes a body, a JWT and the keys to check them with (interop)
//   webpush_encrypt --decrypt FILE    decrypts a body that another implementation made (interop)
//
// Prints one JSON object per case: {"case":…,"threads":…,"seconds":…,"ops":…,"ops_per_s":…,"us_per_op":…}.
// bench/webpush_bench.sh builds it against build-webpush/ and runs it beside bench/webpush_node.mjs.
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/webpush/encryption.hpp"
#include "channels/webpush/p256.hpp"
#include "channels/webpush/subscription.hpp"
#include "channels/webpush/vapid.hpp"
#include "channels/webpush/webpush.hpp"
#include "common/crypto.hpp"

namespace wp = jarip::channels::webpush;
using Clock = std::chrono::steady_clock;

namespace {

std::string b64(std::string_view raw) { return jarip::crypto::base64url_encode(raw); }

template <class T>
T must(jarip::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

std::string g_filter;

// Runs `op` in `threads` threads for `seconds` and prints the rate.
void run_case(const char* name, double seconds, int threads, const std::function<void()>& op) {
  if (!g_filter.empty() && std::string_view(name).find(g_filter) == std::string_view::npos) return;
  std::atomic<bool> stop{false};
  std::vector<long long> counts(static_cast<std::size_t>(threads), 0);
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      long long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 16; ++i) op();
        n += 16;
      }
      counts[static_cast<std::size_t>(t)] = n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  long long total = 0;
  for (long long c : counts) total += c;
  std::printf(
      "{\"case\":\"%s\",\"threads\":%d,\"seconds\":%.2f,\"ops\":%lld,\"ops_per_s\":%.0f,\"us_per_op\":%.1f}\n",
      name, threads, elapsed, total, total / elapsed, elapsed * 1e6 * threads / static_cast<double>(total));
  std::fflush(stdout);
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int write_sample(const char* path) {
  const wp::P256KeyPair ua = must(wp::p256_generate(), "keygen");
  const std::string auth = jarip::crypto::random_bytes(16);
  auto sub = must(wp::make_subscription("https://push.example.net/p/abc", b64(ua.public_key), b64(auth), std::nullopt),
                  "subscription");
  auto cache = must(wp::VapidTokenCache::make(must(wp::VapidKeys::generate(), "vapid"), "mailto:ops@example.com"),
                    "cache");
  wp::PushMessage message;
  message.payload = "jarip → web-push interop: 한국어 payload";
  message.ttl_seconds = 60;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto request = must(wp::build_push_request(sub, message, cache, now_ms), "request");
  boost::json::object out;
  out["ua_private"] = b64(ua.private_key);
  out["ua_public"] = b64(ua.public_key);
  out["auth"] = b64(auth);
  out["payload"] = message.payload;
  out["body"] = b64(request.body);
  for (const auto& h : request.headers) out["header_" + h.name] = h.value;
  out["vapid_public"] = cache.keys().public_key_base64url();
  std::ofstream(path) << boost::json::serialize(out) << "\n";
  return 0;
}

int decrypt_sample(const char* path) {
  const boost::json::object in = boost::json::parse(read_file(path)).as_object();
  auto field = [&](const char* k) { return std::string(in.at(k).as_string()); };
  const std::string body = must(std::optional<std::string>(wp::base64url_decode(field("body"))).has_value()
                                    ? jarip::Result<std::string>(*wp::base64url_decode(field("body")))
                                    : jarip::Result<std::string>(jarip::make_error("b64", "body")),
                                "body");
  auto plain = wp::decrypt(body, *wp::base64url_decode(field("ua_private")), *wp::base64url_decode(field("auth")));
  if (!plain.ok()) {
    std::printf("{\"interop_decrypt\":false,\"error\":\"%s\"}\n", plain.error().message.c_str());
    return 1;
  }
  const bool same = *plain == field("payload");
  std::printf("{\"interop_decrypt\":%s,\"bytes\":%zu}\n", same ? "true" : "false", plain->size());
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--sample") return write_sample(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--decrypt") return decrypt_sample(argv[2]);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  const std::size_t payload_size = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 300;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  if (argc > 4) g_filter = argv[4];

  const wp::P256KeyPair ua = must(wp::p256_generate(), "keygen");
  const std::string auth = jarip::crypto::random_bytes(16);
  const wp::PushSubscription sub = must(
      wp::make_subscription("https://fcm.googleapis.com/fcm/send/bench", b64(ua.public_key), b64(auth), std::nullopt),
      "subscription");
  wp::VapidKeys vapid_keys = must(wp::VapidKeys::generate(), "vapid keys");
  wp::VapidKeys vapid_keys_again = must(wp::VapidKeys::from_private_base64url(vapid_keys.private_key_base64url()), "vapid");
  wp::VapidTokenCache cache = must(wp::VapidTokenCache::make(std::move(vapid_keys), "mailto:ops@example.com"), "cache");
  wp::PushMessage message;
  message.payload = std::string(payload_size, 'x');
  message.ttl_seconds = 3600;
  const long long now_ms = 1'700'000'000'000;

  // Sanity: what is timed decrypts.
  {
    auto request = must(wp::build_push_request(sub, message, cache, now_ms), "request");
    if (must(wp::decrypt(request.body, ua.private_key, auth), "decrypt") != message.payload) return 1;
  }

  run_case("request (encrypt + cached VAPID)", seconds, threads, [&] {
    auto r = wp::build_push_request(sub, message, cache, now_ms);
    if (!r.ok()) std::abort();
  });
  run_case("encrypt only", seconds, threads, [&] {
    auto r = wp::encrypt(sub.p256dh, sub.auth, message.payload);
    if (!r.ok()) std::abort();
  });
  run_case("part: P-256 keygen", seconds / 2, threads, [&] {
    auto r = wp::p256_generate();
    if (!r.ok()) std::abort();
  });
  const wp::P256KeyPair as = must(wp::p256_generate(), "keygen");
  run_case("part: ECDH incl. key import", seconds / 2, threads, [&] {
    auto r = wp::p256_ecdh(as.private_key, ua.public_key);
    if (!r.ok()) std::abort();
  });
  run_case("part: p256dh point check", seconds / 2, threads, [&] {
    if (!wp::p256_is_valid_public(ua.public_key)) std::abort();
  });
  const std::string secret = must(wp::p256_ecdh(as.private_key, ua.public_key), "ecdh");
  const std::string salt(16, 's');
  run_case("part: HKDF chain (5 HMAC)", seconds / 2, threads, [&] {
    auto k = wp::derive_content_keys(secret, auth, ua.public_key, as.public_key, salt);
    if (k.cek.size() != 16) std::abort();
  });
  run_case("VAPID JWT uncached (ES256 sign)", seconds / 2, threads, [&] {
    auto r = wp::sign_vapid_jwt(vapid_keys_again, {"https://fcm.googleapis.com", 1'700'043'200, "mailto:ops@example.com"});
    if (!r.ok()) std::abort();
  });
  return 0;
}
