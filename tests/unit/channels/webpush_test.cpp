// Web Push: RFC 8291 encryption (Appendix A byte for byte), subscription validation and the SSRF
// guard, VAPID (RFC 8292) JWTs and their R||S signatures, the request builder and the answer table.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/json.hpp>

#include <set>
#include <string>

#include "channels/webpush/asio_address.hpp"
#include "channels/webpush/encryption.hpp"
#include "channels/webpush/p256.hpp"
#include "channels/webpush/subscription.hpp"
#include "channels/webpush/vapid.hpp"
#include "channels/webpush/webpush.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::webpush {
namespace {

std::string b64u(std::string_view text) {
  auto raw = base64url_decode(text);
  EXPECT_TRUE(raw.has_value()) << text;
  return raw.value_or("");
}
std::string enc(std::string_view raw) { return crypto::base64url_encode(raw); }

// RFC 8291 §5 and Appendix A ("Intermediate Values for Encryption"), as published; the same values
// are in web-push-libs/ecec's test/encrypt/aes128gcm.c ("Example from draft-ietf-webpush-encryption").
struct Rfc8291 {
  static constexpr const char* plaintext = "When I grow up, I want to be a watermelon";
  static constexpr const char* plaintext_b64 = "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24";
  static constexpr const char* as_public =
      "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
  static constexpr const char* as_private = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
  static constexpr const char* ua_public =
      "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
  static constexpr const char* ua_private = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
  static constexpr const char* salt = "DGv6ra1nlYgDCS1FRnbzlw";
  static constexpr const char* auth = "BTBZMqHH6r4Tts7J_aSIgg";
  static constexpr const char* ecdh_secret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
  static constexpr const char* prk_key = "Snr3JMxaHVDXHWJn5wdC52WjpCtd2EIEGBykDcZW32k";
  static constexpr const char* key_info =
      "V2ViUHVzaDogaW5mbwAEJXGyvs3942BVGq8e0PTNNmwRzr5VX4m8t7GGpTM5FzFo7OLr4BhZe9MEebhuPI-OztV3ylkYfpJGmQ22ggCLDgT-"
      "M_SrDepxkU21WCP3O1SUj0EwbZIHMtu5pZpTKGSCIA5Zent7wmC6HCJ5mFgJkuk5cwAvMBKiiujwa7t45ewP";
  static constexpr const char* ikm = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
  static constexpr const char* prk = "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc";
  static constexpr const char* cek = "oIhVW04MRdy2XN9CiKLxTg";
  static constexpr const char* nonce = "4h_95klXJ5E_qnoN";
  static constexpr const char* header =
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
  static constexpr const char* ciphertext =
      "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ";
  static constexpr const char* body =
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
      "yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";
  // ecec's copy of the same body, as hex.
  static constexpr const char* body_hex_ecec =
      "0c6bfaadad67958803092d454676f397000010004104fe33f4ab0dea71914db55823f73b54948f41306d920732dbb9a59a53286482200e"
      "597a7b7bc260ba1c227998580992e939730"
      "02f3012a28ae8f06bbb78e5ec0ff297de5b429bba7153d3a4ae0caa091fd425f3b4b5414add8ab37a19c1bbb05cf5cb5b2a2e0562d55863"
      "5641ec52812c6c8ff42e95ccb86be7cd";
};

TEST(WebPushRfc8291, AppendixAKeysAndIntermediateValues) {
  EXPECT_EQ(enc(p256_public_from_private(b64u(Rfc8291::as_private)).value()), Rfc8291::as_public);
  EXPECT_EQ(enc(p256_public_from_private(b64u(Rfc8291::ua_private)).value()), Rfc8291::ua_public);
  EXPECT_EQ(b64u(Rfc8291::plaintext_b64), Rfc8291::plaintext);

  auto secret = p256_ecdh(b64u(Rfc8291::as_private), b64u(Rfc8291::ua_public));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(enc(*secret), Rfc8291::ecdh_secret);
  // Both sides agree.
  EXPECT_EQ(enc(p256_ecdh(b64u(Rfc8291::ua_private), b64u(Rfc8291::as_public)).value()), Rfc8291::ecdh_secret);

  const ContentKeys keys = derive_content_keys(*secret, b64u(Rfc8291::auth), b64u(Rfc8291::ua_public),
                                               b64u(Rfc8291::as_public), b64u(Rfc8291::salt));
  EXPECT_EQ(enc(keys.prk_key), Rfc8291::prk_key);
  EXPECT_EQ(enc(keys.ikm), Rfc8291::ikm);
  EXPECT_EQ(enc(keys.prk), Rfc8291::prk);
  EXPECT_EQ(enc(keys.cek), Rfc8291::cek);
  EXPECT_EQ(enc(keys.nonce), Rfc8291::nonce);
  // key_info = "WebPush: info\0" || ua_public || as_public.
  EXPECT_EQ(b64u(Rfc8291::key_info),
            std::string("WebPush: info\0", 14) + b64u(Rfc8291::ua_public) + b64u(Rfc8291::as_public));
}

TEST(WebPushRfc8291, AppendixABodyByteForByte) {
  auto body = encrypt_with(b64u(Rfc8291::ua_public), b64u(Rfc8291::auth), Rfc8291::plaintext, b64u(Rfc8291::salt),
                           b64u(Rfc8291::as_private));
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(enc(*body), Rfc8291::body);
  EXPECT_EQ(*body, b64u(Rfc8291::header) + b64u(Rfc8291::ciphertext));
  EXPECT_EQ(crypto::to_hex(*body), Rfc8291::body_hex_ecec);
  EXPECT_EQ(body->size(), 144u);  // the Content-Length of RFC 8291 §5's example

  auto plain = decrypt(*body, b64u(Rfc8291::ua_private), b64u(Rfc8291::auth));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, Rfc8291::plaintext);
}

P256KeyPair ua_keys() {
  auto pair = p256_generate();
  EXPECT_TRUE(pair.ok());
  return pair.value();
}

TEST(WebPushEncryption, DecryptsWhatItEncrypts) {
  const P256KeyPair ua = ua_keys();
  const std::string auth = crypto::random_bytes(16);
  for (std::size_t size : {0u, 1u, 41u, 1000u, 3992u, 3993u}) {
    std::string payload = crypto::random_bytes(size);
    auto body = encrypt(ua.public_key, auth, payload);
    ASSERT_TRUE(body.ok()) << size;
    EXPECT_EQ(body->size(), kHeaderSize + size + 1 + kTagSize);
    EXPECT_LE(body->size(), kRecordSize);
    EXPECT_EQ(body->substr(16, 5), std::string("\x00\x00\x10\x00\x41", 5));  // rs = 4096, idlen = 65
    EXPECT_TRUE(p256_is_valid_public(body->substr(21, 65)));
    auto plain = decrypt(*body, ua.private_key, auth);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(*plain, payload);
  }
}

TEST(WebPushEncryption, FreshSaltAndKeyPerMessage) {
  const P256KeyPair ua = ua_keys();
  const std::string auth = crypto::random_bytes(16);
  std::set<std::string> salts, keys;
  for (int i = 0; i < 20; ++i) {
    auto body = encrypt(ua.public_key, auth, "same payload");
    ASSERT_TRUE(body.ok());
    salts.insert(body->substr(0, 16));
    keys.insert(body->substr(21, 65));
  }
  EXPECT_EQ(salts.size(), 20u);
  EXPECT_EQ(keys.size(), 20u);
}

TEST(WebPushEncryption, PayloadLimitIs3993Bytes) {
  const P256KeyPair ua = ua_keys();
  const std::string auth(16, 'a');
  auto too_big = encrypt(ua.public_key, auth, std::string(3994, 'x'));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, "payload_too_large");
  EXPECT_EQ(too_big.error().field, "payload");
  EXPECT_EQ(kMaxPlaintextSize, 3993u);
  auto too_big_fixed = encrypt_with(ua.public_key, auth, std::string(3994, 'x'), std::string(16, 's'),
                                    b64u(Rfc8291::as_private));
  ASSERT_FALSE(too_big_fixed.ok());
  EXPECT_EQ(too_big_fixed.error().code, "payload_too_large");
}

TEST(WebPushEncryption, RefusesBadRecipientKeys) {
  const P256KeyPair ua = ua_keys();
  struct Row {
    std::string ua_public, auth;
  } rows[] = {
      {ua.public_key.substr(0, 64), std::string(16, 'a')},
      {ua.public_key, std::string(15, 'a')},
      {ua.public_key, std::string(17, 'a')},
      {"\x04" + std::string(64, '\0'), std::string(16, 'a')},                   // (0, 0) is not on the curve
      {"\x02" + ua.public_key.substr(1), std::string(16, 'a')},                 // not uncompressed
      {ua.public_key.substr(0, 64) + char(ua.public_key[64] ^ 1), std::string(16, 'a')},  // off the curve
  };
  for (const Row& r : rows) {
    auto body = encrypt(r.ua_public, r.auth, "hi");
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.error().code, "invalid_key");
  }
}

// A record built by hand from the derived keys, so that decrypt's padding rules are tested with
// bodies encrypt never makes.
std::string hand_made_body(const P256KeyPair& ua, std::string_view auth, std::string_view record_plain,
                           std::uint32_t rs = 4096) {
  const std::string salt = crypto::random_bytes(16);
  const P256KeyPair as = ua_keys();
  const std::string secret = p256_ecdh(as.private_key, ua.public_key).value();
  const ContentKeys keys = derive_content_keys(secret, auth, ua.public_key, as.public_key, salt);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(record_plain.size() + 16, '\0');
  int n = 0, m = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, reinterpret_cast<const unsigned char*>(keys.cek.data()),
                     reinterpret_cast<const unsigned char*>(keys.nonce.data()));
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                    reinterpret_cast<const unsigned char*>(record_plain.data()), static_cast<int>(record_plain.size()));
  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &m);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + n + m);
  EVP_CIPHER_CTX_free(ctx);
  std::string header = salt;
  header.push_back(static_cast<char>(rs >> 24));
  header.push_back(static_cast<char>(rs >> 16));
  header.push_back(static_cast<char>(rs >> 8));
  header.push_back(static_cast<char>(rs));
  header.push_back(65);
  return header + as.public_key + out;
}

TEST(WebPushEncryption, DecryptChecksPaddingAndHeader) {
  const P256KeyPair ua = ua_keys();
  const std::string auth = crypto::random_bytes(16);
  EXPECT_EQ(decrypt(hand_made_body(ua, auth, std::string("hello\x02\0\0\0", 9)), ua.private_key, auth).value(),
            "hello");
  EXPECT_EQ(decrypt(hand_made_body(ua, auth, std::string("\x02", 1)), ua.private_key, auth).value(), "");

  struct Row {
    const char* name;
    std::string body;
  } rows[] = {
      {"0x01 delimiter (not the last record)", hand_made_body(ua, auth, std::string("hello\x01", 6))},
      {"no delimiter", hand_made_body(ua, auth, "hello")},
      {"only zeros", hand_made_body(ua, auth, std::string(4, '\0'))},
      {"rs below 18", hand_made_body(ua, auth, std::string("hello\x02", 6), 17)},
      {"record larger than rs", hand_made_body(ua, auth, std::string("hello\x02", 6), 20)},
  };
  for (const Row& r : rows) {
    auto plain = decrypt(r.body, ua.private_key, auth);
    ASSERT_FALSE(plain.ok()) << r.name;
    EXPECT_EQ(plain.error().code, "decryption_failed") << r.name;
  }

  const std::string good = encrypt(ua.public_key, auth, "payload").value();
  std::string tampered = good;
  tampered[tampered.size() - 20] ^= 1;
  EXPECT_EQ(decrypt(tampered, ua.private_key, auth).error().code, "decryption_failed");
  std::string salt_changed = good;
  salt_changed[0] ^= 1;
  EXPECT_EQ(decrypt(salt_changed, ua.private_key, auth).error().code, "decryption_failed");
  EXPECT_EQ(decrypt(good, ua.private_key, crypto::random_bytes(16)).error().code, "decryption_failed");
  EXPECT_EQ(decrypt(good, ua_keys().private_key, auth).error().code, "decryption_failed");
  EXPECT_EQ(decrypt(good.substr(0, 20), ua.private_key, auth).error().code, "decryption_failed");
  EXPECT_EQ(decrypt(good.substr(0, 86 + 16), ua.private_key, auth).error().code, "decryption_failed");
  std::string bad_idlen = good;
  bad_idlen[20] = 64;
  EXPECT_EQ(decrypt(bad_idlen, ua.private_key, auth).error().code, "decryption_failed");
  std::string off_curve = good;
  off_curve[21 + 64] ^= 1;
  EXPECT_EQ(decrypt(off_curve, ua.private_key, auth).error().code, "decryption_failed");
  EXPECT_EQ(decrypt(good, ua.private_key, "short").error().code, "invalid_key");
}

// ---- base64url and keys ---------------------------------------------------------------------------------

TEST(WebPushKeys, StrictBase64url) {
  struct Row {
    const char* text;
    std::optional<std::string> raw;
  } rows[] = {
      {"", std::string()},
      {"QQ", std::string("A")},
      {"QQ==", std::string("A")},
      {"QUI", std::string("AB")},
      {"QUI=", std::string("AB")},
      {"QUJD", std::string("ABC")},
      {"-_8", std::string("\xfb\xff")},
      {"QR", std::nullopt},     // non-zero unused bits
      {"QUJ", std::nullopt},    // non-zero unused bits
      {"Q", std::nullopt},      // impossible length
      {"QQ=", std::nullopt},    // incomplete padding
      {"QUJD=", std::nullopt},  // padding where none is due
      {"QQ===", std::nullopt},
      {"Q+8", std::nullopt},    // standard alphabet
      {"Q/8", std::nullopt},
      {"QQ =", std::nullopt},
      {"=", std::nullopt},
  };
  for (const Row& r : rows) EXPECT_EQ(base64url_decode(r.text), r.raw) << r.text;
  for (int size = 0; size < 40; ++size) {
    const std::string raw = crypto::random_bytes(static_cast<std::size_t>(size));
    EXPECT_EQ(base64url_decode(enc(raw)), raw);
  }
}

TEST(WebPushKeys, GeneratedPairsAndPrivateKeyRange) {
  const P256KeyPair pair = ua_keys();
  EXPECT_EQ(pair.private_key.size(), 32u);
  EXPECT_EQ(pair.public_key.size(), 65u);
  EXPECT_EQ(pair.public_key[0], '\x04');
  EXPECT_EQ(p256_public_from_private(pair.private_key).value(), pair.public_key);
  // n, the order of P-256, and n - 1.
  const std::string n = crypto::from_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").value();
  const std::string n_minus_1 =
      crypto::from_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550").value();
  EXPECT_FALSE(p256_public_from_private(std::string(32, '\0')).ok());
  EXPECT_FALSE(p256_public_from_private(n).ok());
  EXPECT_FALSE(p256_public_from_private(std::string(32, '\xff')).ok());
  EXPECT_FALSE(p256_public_from_private(std::string(31, '\x01')).ok());
  EXPECT_TRUE(p256_public_from_private(n_minus_1).ok());
  EXPECT_TRUE(p256_public_from_private(std::string(31, '\0') + '\x01').ok());
  // 1·G is the generator.
  EXPECT_EQ(crypto::to_hex(p256_public_from_private(std::string(31, '\0') + '\x01').value()),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
}

TEST(WebPushKeys, PointValidation) {
  const P256KeyPair pair = ua_keys();
  EXPECT_TRUE(p256_is_valid_public(pair.public_key));
  EXPECT_FALSE(p256_is_valid_public(pair.public_key.substr(0, 64)));
  EXPECT_FALSE(p256_is_valid_public(pair.public_key + "x"));
  EXPECT_FALSE(p256_is_valid_public("\x03" + pair.public_key.substr(1)));
  EXPECT_FALSE(p256_is_valid_public("\x04" + std::string(64, '\0')));
  // X = p (the field prime) is out of range even though X mod p = 0 would be tested otherwise.
  const std::string p = crypto::from_hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff").value();
  EXPECT_FALSE(p256_is_valid_public("\x04" + p + pair.public_key.substr(33)));
  std::string flipped = pair.public_key;
  flipped[40] ^= 0x10;
  EXPECT_FALSE(p256_is_valid_public(flipped));
}

// ---- subscriptions ----------------------------------------------------------------------------------------

constexpr const char* kEndpoint = "https://fcm.googleapis.com/fcm/send/dWJ7bTFZ:APA91bH_x-y";

std::string subscription_json(std::string endpoint, std::string p256dh = Rfc8291::ua_public,
                              std::string auth = Rfc8291::auth, std::string expiration = "null") {
  boost::json::object keys{{"p256dh", p256dh}, {"auth", auth}};
  return R"({"endpoint":)" + boost::json::serialize(boost::json::value(endpoint)) + R"(,"expirationTime":)" +
         expiration + R"(,"keys":)" + boost::json::serialize(keys) + "}";
}

TEST(WebPushSubscription, ParsesBrowserJson) {
  auto s = parse_subscription(subscription_json(kEndpoint));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->endpoint, kEndpoint);
  EXPECT_EQ(s->origin, "https://fcm.googleapis.com");
  EXPECT_EQ(s->host, "fcm.googleapis.com");
  EXPECT_EQ(s->port, 443);
  EXPECT_FALSE(s->expiration_time_ms.has_value());
  EXPECT_EQ(s->p256dh, b64u(Rfc8291::ua_public));
  EXPECT_EQ(s->auth, b64u(Rfc8291::auth));
  auto again = parse_subscription(to_json(*s));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(to_json(*again), to_json(*s));

  auto with_expiry = parse_subscription(subscription_json("https://Push.Example.NET:8443/p/x?y=1", Rfc8291::ua_public,
                                                          std::string(Rfc8291::auth) + "==", "1700000000000"));
  ASSERT_TRUE(with_expiry.ok()) << with_expiry.error().message;
  EXPECT_EQ(with_expiry->origin, "https://push.example.net:8443");
  EXPECT_EQ(with_expiry->port, 8443);
  EXPECT_EQ(with_expiry->expiration_time_ms, 1700000000000);
  EXPECT_EQ(parse_subscription(subscription_json("https://push.example.net:443/x")).value().origin,
            "https://push.example.net");
  EXPECT_EQ(parse_subscription(subscription_json("https://[2a00:1450:4001::5]/x")).value().origin,
            "https://[2a00:1450:4001::5]");
  EXPECT_EQ(parse_subscription(subscription_json("https://8.8.8.8/x")).value().host, "8.8.8.8");
  // Unknown members are ignored; the keys object may carry more.
  EXPECT_TRUE(parse_subscription(R"({"endpoint":")" + std::string(kEndpoint) +
                                 R"(","extra":1,"keys":{"p256dh":")" + Rfc8291::ua_public + R"(","auth":")" +
                                 Rfc8291::auth + R"(","x":2}})")
                  .ok());
}

TEST(WebPushSubscription, EveryValidationError) {
  const std::string pk = Rfc8291::ua_public, auth = Rfc8291::auth;
  const std::string off_curve = enc("\x04" + std::string(64, '\x01'));
  const std::string compressed = enc("\x02" + b64u(Rfc8291::ua_public).substr(1, 32));
  struct Row {
    const char* name;
    std::string json;
    const char* code;
    const char* field;
  } rows[] = {
      {"not JSON", "{", "invalid_subscription", "subscription"},
      {"array", "[]", "invalid_subscription", "subscription"},
      {"too long", subscription_json(std::string(kEndpoint) + "?" + std::string(4096, 'a')), "invalid_subscription",
       "subscription"},
      {"no endpoint", R"({"keys":{"p256dh":")" + pk + R"(","auth":")" + auth + R"("}})", "invalid_subscription",
       "endpoint"},
      {"endpoint number", R"({"endpoint":1,"keys":{"p256dh":")" + pk + R"(","auth":")" + auth + R"("}})",
       "invalid_subscription", "endpoint"},
      {"no keys", R"({"endpoint":")" + std::string(kEndpoint) + R"("})", "invalid_subscription", "keys"},
      {"keys not object", R"({"endpoint":")" + std::string(kEndpoint) + R"(","keys":"x"})", "invalid_subscription",
       "keys"},
      {"no p256dh", R"({"endpoint":")" + std::string(kEndpoint) + R"(","keys":{"auth":")" + auth + R"("}})",
       "invalid_subscription", "keys.p256dh"},
      {"no auth", R"({"endpoint":")" + std::string(kEndpoint) + R"(","keys":{"p256dh":")" + pk + R"("}})",
       "invalid_subscription", "keys.auth"},
      {"http", subscription_json("http://fcm.googleapis.com/fcm/send/x"), "invalid_subscription", "endpoint"},
      {"ftp", subscription_json("ftp://fcm.googleapis.com/x"), "invalid_subscription", "endpoint"},
      {"empty endpoint", subscription_json(""), "invalid_subscription", "endpoint"},
      {"endpoint over 2048", subscription_json("https://push.example.net/" + std::string(2100, 'a')),
       "invalid_subscription", "endpoint"},
      {"user info", subscription_json("https://user:pw@push.example.net/x"), "invalid_subscription", "endpoint"},
      {"attacker@", subscription_json("https://push.example.net@127.0.0.1/x"), "invalid_subscription", "endpoint"},
      {"space", subscription_json("https://push.example.net/a b"), "invalid_subscription", "endpoint"},
      {"fragment", subscription_json("https://push.example.net/a#b"), "invalid_subscription", "endpoint"},
      {"backslash", subscription_json("https://push.example.net\\@evil/a"), "invalid_subscription", "endpoint"},
      {"non-ASCII", subscription_json("https://pü.example.net/a"), "invalid_subscription", "endpoint"},
      {"no host", subscription_json("https:///a"), "invalid_subscription", "endpoint"},
      {"bad port", subscription_json("https://push.example.net:0/a"), "invalid_subscription", "endpoint"},
      {"port too big", subscription_json("https://push.example.net:65536/a"), "invalid_subscription", "endpoint"},
      {"empty port", subscription_json("https://push.example.net:/a"), "invalid_subscription", "endpoint"},
      {"underscore host", subscription_json("https://push_x.example.net/a"), "invalid_subscription", "endpoint"},
      {"empty label", subscription_json("https://push..example.net/a"), "invalid_subscription", "endpoint"},
      {"label over 63", subscription_json("https://" + std::string(64, 'a') + ".example.net/a"),
       "invalid_subscription", "endpoint"},
      {"bad IPv6", subscription_json("https://[::zz]/a"), "invalid_subscription", "endpoint"},
      {"IPv6 zone", subscription_json("https://[fe80::1%25eth0]/a"), "invalid_subscription", "endpoint"},
      {"malformed IPv4", subscription_json("https://1.2.3.256/a"), "invalid_subscription", "endpoint"},
      {"p256dh too short", subscription_json(kEndpoint, pk.substr(0, 86)), "invalid_subscription", "keys.p256dh"},
      {"p256dh 64 bytes", subscription_json(kEndpoint, enc(b64u(pk).substr(0, 64))), "invalid_subscription",
       "keys.p256dh"},
      {"p256dh too long text", subscription_json(kEndpoint, pk + "AAAA"), "invalid_subscription", "keys.p256dh"},
      {"p256dh not base64url", subscription_json(kEndpoint, "!" + pk.substr(1)), "invalid_subscription",
       "keys.p256dh"},
      {"p256dh standard base64", subscription_json(kEndpoint, crypto::base64_encode(b64u(pk))),
       "invalid_subscription", "keys.p256dh"},
      {"p256dh compressed", subscription_json(kEndpoint, compressed), "invalid_subscription", "keys.p256dh"},
      {"p256dh off the curve", subscription_json(kEndpoint, off_curve), "invalid_subscription", "keys.p256dh"},
      {"auth 15 bytes", subscription_json(kEndpoint, pk, enc(std::string(15, 'a'))), "invalid_subscription",
       "keys.auth"},
      {"auth 17 bytes", subscription_json(kEndpoint, pk, enc(std::string(17, 'a'))), "invalid_subscription",
       "keys.auth"},
      {"auth too long text", subscription_json(kEndpoint, pk, std::string(30, 'A')), "invalid_subscription",
       "keys.auth"},
      {"auth empty", subscription_json(kEndpoint, pk, ""), "invalid_subscription", "keys.auth"},
      {"expiration string", subscription_json(kEndpoint, pk, auth, "\"soon\""), "invalid_subscription",
       "expirationTime"},
      {"expiration negative", subscription_json(kEndpoint, pk, auth, "-1"), "invalid_subscription", "expirationTime"},
      {"expiration huge", subscription_json(kEndpoint, pk, auth, "1e300"), "invalid_subscription", "expirationTime"},
      // The SSRF guard.
      {"localhost", subscription_json("https://localhost/x"), "endpoint_not_public", "endpoint"},
      {"LOCALHOST.", subscription_json("https://LOCALHOST./x"), "endpoint_not_public", "endpoint"},
      {"sub.localhost", subscription_json("https://push.localhost:8443/x"), "endpoint_not_public", "endpoint"},
      {"single label", subscription_json("https://intranet/x"), "endpoint_not_public", "endpoint"},
      {".local", subscription_json("https://printer.local/x"), "endpoint_not_public", "endpoint"},
      {".internal", subscription_json("https://metadata.google.internal/x"), "endpoint_not_public", "endpoint"},
      {"127.0.0.1", subscription_json("https://127.0.0.1/x"), "endpoint_not_public", "endpoint"},
      {"127.1", subscription_json("https://127.1/x"), "endpoint_not_public", "endpoint"},
      {"decimal 127.0.0.1", subscription_json("https://2130706433/x"), "endpoint_not_public", "endpoint"},
      {"hex 127", subscription_json("https://0x7f.0.0.1/x"), "endpoint_not_public", "endpoint"},
      {"octal 10", subscription_json("https://012.1.2.3/x"), "endpoint_not_public", "endpoint"},
      {"10/8", subscription_json("https://10.1.2.3/x"), "endpoint_not_public", "endpoint"},
      {"172.16/12", subscription_json("https://172.31.255.255/x"), "endpoint_not_public", "endpoint"},
      {"192.168/16", subscription_json("https://192.168.0.1/x"), "endpoint_not_public", "endpoint"},
      {"link-local metadata", subscription_json("https://169.254.169.254/x"), "endpoint_not_public", "endpoint"},
      {"CGNAT", subscription_json("https://100.64.0.1/x"), "endpoint_not_public", "endpoint"},
      {"0.0.0.0", subscription_json("https://0.0.0.0/x"), "endpoint_not_public", "endpoint"},
      {"[::1]", subscription_json("https://[::1]:8443/x"), "endpoint_not_public", "endpoint"},
      {"[::]", subscription_json("https://[::]/x"), "endpoint_not_public", "endpoint"},
      {"unique local", subscription_json("https://[fd00::1]/x"), "endpoint_not_public", "endpoint"},
      {"link-local v6", subscription_json("https://[fe80::1]/x"), "endpoint_not_public", "endpoint"},
      {"mapped loopback", subscription_json("https://[::ffff:127.0.0.1]/x"), "endpoint_not_public", "endpoint"},
      {"NAT64 private", subscription_json("https://[64:ff9b::10.0.0.1]/x"), "endpoint_not_public", "endpoint"},
  };
  for (const Row& r : rows) {
    auto s = parse_subscription(r.json);
    ASSERT_FALSE(s.ok()) << r.name;
    EXPECT_EQ(s.error().code, r.code) << r.name << ": " << s.error().message;
    EXPECT_EQ(s.error().field, r.field) << r.name << ": " << s.error().message;
    EXPECT_FALSE(s.error().message.empty());
  }
}

TEST(WebPushSubscription, AllowPrivateIsForTestsOnly) {
  const SubscriptionOptions test_mode{.allow_private = true};
  for (const char* endpoint : {"https://localhost:9443/push/abc", "https://127.0.0.1:19104/push/1",
                               "https://[::1]:9443/p", "https://10.0.0.5/p", "https://intranet/p"}) {
    EXPECT_EQ(parse_subscription(subscription_json(endpoint)).error().code, "endpoint_not_public") << endpoint;
    auto s = parse_subscription(subscription_json(endpoint), test_mode);
    ASSERT_TRUE(s.ok()) << endpoint << ": " << s.error().message;
  }
  EXPECT_EQ(parse_subscription(subscription_json("https://127.0.0.1:19104/p"), test_mode).value().origin,
            "https://127.0.0.1:19104");
  // Test mode still refuses what is malformed.
  EXPECT_EQ(parse_subscription(subscription_json("https://exa mple.com/p"), test_mode).error().code,
            "invalid_subscription");
}

TEST(WebPushSubscription, PlainHttpOnlyOnLoopbackInTestMode) {
  const SubscriptionOptions test_mode{.allow_private = true};
  struct Row {
    const char* endpoint;
    const char* origin;
    std::uint16_t port;
  };
  // The simulator's push service has no TLS: test mode reads its http endpoints.
  for (const Row& r : {Row{"http://127.0.0.1:19104/push/abc", "http://127.0.0.1:19104", 19104},
                       Row{"http://127.0.0.1/push/abc", "http://127.0.0.1", 80},
                       Row{"http://127.1.2.3:80/p", "http://127.1.2.3", 80},
                       Row{"HTTP://localhost:9104/p", "http://localhost:9104", 9104},
                       Row{"http://[::1]:9104/p", "http://[::1]:9104", 9104}}) {
    auto s = parse_subscription(subscription_json(r.endpoint), test_mode);
    ASSERT_TRUE(s.ok()) << r.endpoint << ": " << s.error().message;
    EXPECT_EQ(s->origin, r.origin) << r.endpoint;
    EXPECT_EQ(s->port, r.port) << r.endpoint;
    EXPECT_EQ(s->endpoint, r.endpoint);
    EXPECT_EQ(parse_subscription(to_json(*s), test_mode).value().origin, r.origin) << "round trip";
    // Never in production.
    auto production = parse_subscription(subscription_json(r.endpoint));
    ASSERT_FALSE(production.ok()) << r.endpoint;
    EXPECT_EQ(production.error().code, "invalid_subscription") << r.endpoint;
    EXPECT_EQ(production.error().field, "endpoint") << r.endpoint;
  }
  // Plain http to anything but loopback stays refused, test mode or not: the VAPID token would cross
  // a network in clear.
  for (const char* endpoint : {"http://10.0.0.5/p", "http://192.168.1.1:9104/p", "http://push.example.net/p",
                               "http://intranet/p", "http://[fd00::1]/p", "http://[::ffff:127.0.0.1]/p",
                               "http://sub.localhost/p", "ftp://127.0.0.1/p"}) {
    auto s = parse_subscription(subscription_json(endpoint), test_mode);
    ASSERT_FALSE(s.ok()) << endpoint;
    EXPECT_EQ(s.error().code, "invalid_subscription") << endpoint;
    EXPECT_EQ(s.error().field, "endpoint") << endpoint;
  }
  // The loopback http origin is a valid VAPID audience; other http origins are not.
  auto keys = VapidKeys::generate().value();
  EXPECT_TRUE(sign_vapid_jwt(keys, {"http://127.0.0.1:19104", 1'700'000'000, "mailto:ops@example.com"}).ok());
  EXPECT_TRUE(sign_vapid_jwt(keys, {"http://[::1]:9104", 1'700'000'000, "mailto:ops@example.com"}).ok());
  EXPECT_FALSE(sign_vapid_jwt(keys, {"http://127.0.0.1:19104/x", 1'700'000'000, "mailto:ops@example.com"}).ok());
  EXPECT_FALSE(sign_vapid_jwt(keys, {"http://127.0.0.1.example.com", 1'700'000'000, "mailto:ops@example.com"}).ok());
}

TEST(WebPushSubscription, MakeSubscriptionFromStoredParts) {
  auto s = make_subscription(kEndpoint, Rfc8291::ua_public, Rfc8291::auth, 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expiration_time_ms, 5);
  EXPECT_EQ(make_subscription(kEndpoint, Rfc8291::ua_public, Rfc8291::auth, -5).error().field, "expirationTime");
}

std::vector<std::uint8_t> v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) { return {a, b, c, d}; }
std::vector<std::uint8_t> v6(const char* text) {
  auto ip = parse_ip_literal(text);
  EXPECT_TRUE(ip && ip->size == 16) << text;
  return std::vector<std::uint8_t>(ip->bytes.begin(), ip->bytes.begin() + 16);
}

TEST(WebPushAddressGuard, PublicAndNonPublicRanges) {
  struct Row {
    std::vector<std::uint8_t> address;
    bool is_public;
  } rows[] = {
      {v4(8, 8, 8, 8), true},           {v4(142, 250, 1, 1), true},        {v4(1, 1, 1, 1), true},
      {v4(0, 0, 0, 0), false},          {v4(0, 255, 1, 1), false},         {v4(10, 0, 0, 1), false},
      {v4(100, 63, 255, 255), true},    {v4(100, 64, 0, 0), false},        {v4(100, 127, 255, 255), false},
      {v4(100, 128, 0, 0), true},       {v4(127, 0, 0, 1), false},         {v4(127, 255, 255, 255), false},
      {v4(169, 254, 169, 254), false},  {v4(169, 253, 0, 1), true},        {v4(172, 15, 255, 255), true},
      {v4(172, 16, 0, 0), false},       {v4(172, 31, 255, 255), false},    {v4(172, 32, 0, 0), true},
      {v4(192, 0, 0, 8), false},        {v4(192, 0, 2, 1), false},         {v4(192, 0, 3, 1), true},
      {v4(192, 88, 99, 1), false},      {v4(192, 168, 1, 1), false},       {v4(192, 169, 0, 1), true},
      {v4(198, 18, 0, 1), false},       {v4(198, 19, 255, 255), false},    {v4(198, 20, 0, 1), true},
      {v4(198, 51, 100, 7), false},     {v4(203, 0, 113, 9), false},       {v4(203, 0, 114, 9), true},
      {v4(224, 0, 0, 1), false},        {v4(239, 255, 255, 250), false},   {v4(240, 0, 0, 1), false},
      {v4(255, 255, 255, 255), false},  {v4(223, 255, 255, 255), true},
      {v6("2a00:1450:4001:82b::200a"), true},  // a Google front end
      {v6("2606:4700::6810:84e5"), true},
      {v6("::"), false},                {v6("::1"), false},                {v6("fe80::1"), false},
      {v6("febf::1"), false},           {v6("fec0::1"), false},            {v6("fc00::1"), false},
      {v6("fdff:ffff::1"), false},      {v6("ff02::1"), false},            {v6("100::1"), false},
      {v6("2001:db8::1"), false},       {v6("2001::1"), false},            {v6("2001:1ff::1"), false},
      {v6("2001:200::1"), true},        {v6("3fff::1"), false},            {v6("4000::1"), false},
      {v6("::ffff:127.0.0.1"), false},  {v6("::ffff:8.8.8.8"), true},      {v6("::127.0.0.1"), false},
      {v6("64:ff9b::8.8.8.8"), true},   {v6("64:ff9b::192.168.1.1"), false}, {v6("64:ff9b:1::1"), false},
      {v6("2002:0a00:0001::1"), false}, {v6("2002:0808:0808::1"), true},
  };
  for (const Row& r : rows) {
    std::string text;
    for (auto b : r.address) text += std::to_string(b) + ".";
    EXPECT_EQ(is_public_address(r.address), r.is_public) << text;
  }
  EXPECT_FALSE(is_public_address(std::vector<std::uint8_t>{8, 8, 8}));
  EXPECT_FALSE(is_public_address(std::vector<std::uint8_t>{}));
  // The Asio form, for the connect-time check.
  EXPECT_FALSE(is_public_address(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_FALSE(is_public_address(boost::asio::ip::make_address("::ffff:10.1.1.1")));
  EXPECT_TRUE(is_public_address(boost::asio::ip::make_address("8.8.4.4")));
  EXPECT_TRUE(is_public_address(boost::asio::ip::make_address("2a00:1450:4001:82b::200a")));
}

TEST(WebPushAddressGuard, IpLiteralsInEveryResolverForm) {
  struct Row {
    const char* host;
    std::optional<std::vector<std::uint8_t>> bytes;
  } rows[] = {
      {"127.0.0.1", v4(127, 0, 0, 1)},   {"127.1", v4(127, 0, 0, 1)},          {"127.0.1", v4(127, 0, 0, 1)},
      {"2130706433", v4(127, 0, 0, 1)},  {"0x7f000001", v4(127, 0, 0, 1)},     {"0x7F.1", v4(127, 0, 0, 1)},
      {"0177.0.0.1", v4(127, 0, 0, 1)},  {"1.2.3.4.", v4(1, 2, 3, 4)},         {"0", v4(0, 0, 0, 0)},
      {"0x", v4(0, 0, 0, 0)},            {"255.255.255.255", v4(255, 255, 255, 255)},
      {"256.0.0.1", std::nullopt},       {"1.2.3.4.5", std::nullopt},          {"1.2.3.256", std::nullopt},
      {"4294967296", std::nullopt},      {"08.1.1.1", std::nullopt},           {"0x1g", std::nullopt},
      {"1..2", std::nullopt},            {"example.com", std::nullopt},        {"", std::nullopt},
      {"[::1]", v6("::1")},              {"[fe80::1%eth0]", std::nullopt},    {"[1.2.3.4]", std::nullopt},
  };
  for (const Row& r : rows) {
    auto ip = parse_ip_literal(r.host);
    if (!r.bytes) {
      EXPECT_FALSE(ip.has_value()) << r.host;
      continue;
    }
    ASSERT_TRUE(ip.has_value()) << r.host;
    EXPECT_EQ(std::vector<std::uint8_t>(ip->bytes.begin(), ip->bytes.begin() + ip->size), *r.bytes) << r.host;
  }
}

// ---- VAPID ------------------------------------------------------------------------------------------------

// An independent ES256 check: OpenSSL's own ECDSA_SIG from R and S, not ecdsa_raw_to_der.
bool openssl_verifies(std::string_view signed_part, std::string_view raw_signature, std::string_view public_key) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  // SubjectPublicKeyInfo for an uncompressed P-256 point: a fixed 26-byte prefix.
  const std::string spki =
      crypto::from_hex("3059301306072a8648ce3d020106082a8648ce3d030107034200").value() + std::string(public_key);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = key != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  OPENSSL_free(der);
  return ok;
}

// RFC 8292 §2.4 (and §3.2's "k" value): a JWT signed by an independent implementation.
constexpr const char* kRfc8292Jwt =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6"
    "Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA";
constexpr const char* kRfc8292Key =
    "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs";

TEST(WebPushVapid, Rfc8292ExampleVerifies) {
  auto claims = verify_vapid_jwt(kRfc8292Jwt, b64u(kRfc8292Key));
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->audience, "https://push.example.net");
  EXPECT_EQ(claims->expires_at_s, 1453523768);
  EXPECT_EQ(claims->subject, "mailto:push@example.com");
  const std::string jwt = kRfc8292Jwt;
  const std::size_t dot2 = jwt.rfind('.');
  EXPECT_TRUE(openssl_verifies(jwt.substr(0, dot2), b64u(jwt.substr(dot2 + 1)), b64u(kRfc8292Key)));

  // Our signing input for the same claims is the RFC's, byte for byte.
  auto keys = VapidKeys::generate();
  ASSERT_TRUE(keys.ok());
  auto ours = sign_vapid_jwt(*keys, {"https://push.example.net", 1453523768, "mailto:push@example.com"});
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(ours->substr(0, ours->rfind('.')), jwt.substr(0, dot2));

  std::string tampered = jwt;
  tampered[dot2 + 5] = tampered[dot2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_vapid_jwt(tampered, b64u(kRfc8292Key)).error().code, "invalid_jwt");
  EXPECT_EQ(verify_vapid_jwt(jwt, keys->public_key()).error().code, "invalid_jwt");
}

// Made with the npm package web-push 3.6.7 (bench/package.json): `web-push generate-vapid-keys --json`,
// then getVapidHeaders("https://fcm.googleapis.com", "mailto:ops@example.com", publicKey, privateKey,
// "aes128gcm", 1764072000). A throwaway key pair, used only here.
constexpr const char* kWebPushPublic =
    "BNE9W6Qjq1h4lhfhBw-bKU8Yu9Se5X59LgN5L8N0xKDkT01EkAkaFtqVHfFJ8n0icfPn5GGSXpxYeLYIOpMiZT4";
constexpr const char* kWebPushPrivate = "e0MWUVpMzQBQ3SuDl0DVi7tmS3cu6Wu0GhAvNiuS0ek";
constexpr const char* kWebPushAuthorization =
    "vapid t=eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL2ZjbS5nb29nbGVhcGlzLmNvbSIsImV4cCI6MTc2NDA3MjAwMCwic3"
    "ViIjoibWFpbHRvOm9wc0BleGFtcGxlLmNvbSJ9.132V8ixYSYdtq12DPpYJa9rVf4vFTdmt7TuXt2XXq0VpM2aIXckR_c0BZ4iHty8-L1CvbszQY-"
    "rk1TFPkRY8wQ, k=BNE9W6Qjq1h4lhfhBw-bKU8Yu9Se5X59LgN5L8N0xKDkT01EkAkaFtqVHfFJ8n0icfPn5GGSXpxYeLYIOpMiZT4";

TEST(WebPushVapid, NpmWebPushKeysAndHeader) {
  auto keys = VapidKeys::from_private_base64url(kWebPushPrivate);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->public_key_base64url(), kWebPushPublic);
  const std::string header = kWebPushAuthorization;
  const std::string jwt = header.substr(8, header.find(", k=") - 8);
  auto claims = verify_vapid_jwt(jwt, keys->public_key());
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->audience, "https://fcm.googleapis.com");
  EXPECT_EQ(claims->expires_at_s, 1764072000);
  EXPECT_EQ(claims->subject, "mailto:ops@example.com");
  // Ours differs only in the (randomised) signature.
  auto ours = sign_vapid_jwt(*keys, {"https://fcm.googleapis.com", 1764072000, "mailto:ops@example.com"});
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(ours->substr(0, ours->rfind('.')), jwt.substr(0, jwt.rfind('.')));
  const std::string our_header = vapid_authorization(*ours, keys->public_key_base64url());
  EXPECT_EQ(our_header.substr(0, our_header.rfind('.')), header.substr(0, header.rfind('.')));
  EXPECT_EQ(our_header.substr(our_header.find(", k=")), header.substr(header.find(", k=")));
}

TEST(WebPushVapid, KeyFormats) {
  auto keys = VapidKeys::generate();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->public_key().size(), 65u);
  EXPECT_EQ(keys->public_key_base64url().size(), 87u);
  EXPECT_EQ(keys->public_key_base64url()[0], 'B');  // 0x04…
  EXPECT_EQ(keys->private_key_base64url().size(), 43u);
  auto again = VapidKeys::from_private_base64url(keys->private_key_base64url());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), keys->public_key());
  // The RFC 8291 application-server key as a VAPID key: the public half is the published one.
  EXPECT_EQ(VapidKeys::from_private_base64url(Rfc8291::as_private).value().public_key_base64url(), Rfc8291::as_public);

  for (const std::string& bad : {std::string(), std::string("AAAA"), enc(std::string(32, '\0')),
                                enc(std::string(32, '\xff')), enc(std::string(33, '\x01')),
                                keys->private_key_base64url() + "==", keys->private_key_base64url() + "A", std::string(43, '!')}) {
    auto k = VapidKeys::from_private_base64url(bad);
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_EQ(k.error().code, "invalid_vapid_key");
    EXPECT_EQ(k.error().field, "vapid_private_key");
    EXPECT_EQ(k.error().message.find(bad.empty() ? "\x01" : bad), std::string::npos);  // no key in messages
  }
}

boost::json::value jwt_part(std::string_view jwt, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = jwt.find('.', start) + 1;
  const std::size_t end = jwt.find('.', start);
  return boost::json::parse(b64u(jwt.substr(start, end - start)));
}

TEST(WebPushVapid, JwtStructureAndSignature) {
  auto keys = VapidKeys::generate();
  ASSERT_TRUE(keys.ok());
  const VapidClaims claims{"https://fcm.googleapis.com", 1'700'043'200, "mailto:ops@example.com"};
  auto jwt = sign_vapid_jwt(*keys, claims);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(std::count(jwt->begin(), jwt->end(), '.'), 2);
  EXPECT_EQ(jwt->find('='), std::string::npos);
  const std::size_t dot1 = jwt->find('.');
  EXPECT_EQ(b64u(jwt->substr(0, dot1)), R"({"typ":"JWT","alg":"ES256"})");
  const boost::json::value body = jwt_part(*jwt, 1);
  EXPECT_EQ(body, boost::json::parse(R"({"aud":"https://fcm.googleapis.com","exp":1700043200,"sub":"mailto:ops@example.com"})"));
  const std::size_t dot2 = jwt->rfind('.');
  const std::string signature = b64u(jwt->substr(dot2 + 1));
  ASSERT_EQ(signature.size(), 64u);
  EXPECT_TRUE(openssl_verifies(jwt->substr(0, dot2), signature, keys->public_key()));
  auto verified = verify_vapid_jwt(*jwt, keys->public_key());
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->audience, claims.audience);
  EXPECT_EQ(verified->expires_at_s, claims.expires_at_s);
  EXPECT_EQ(verified->subject, claims.subject);

  EXPECT_EQ(vapid_authorization(*jwt, keys->public_key_base64url()),
            "vapid t=" + *jwt + ", k=" + keys->public_key_base64url());
}

TEST(WebPushVapid, ManySignaturesVerifyIncludingShortRAndS) {
  // About 1 in 128 signatures has an R or S below 2^248, which DER writes in 31 bytes or fewer and
  // R||S must left-pad: 600 signatures meet that case with probability ~99 %.
  auto keys = VapidKeys::generate();
  ASSERT_TRUE(keys.ok());
  int short_values = 0;
  for (int i = 0; i < 600; ++i) {
    auto jwt = sign_vapid_jwt(*keys, {"https://push.example.net", 1'700'000'000 + i, "https://example.com/contact"});
    ASSERT_TRUE(jwt.ok());
    const std::size_t dot2 = jwt->rfind('.');
    const std::string signature = b64u(jwt->substr(dot2 + 1));
    ASSERT_EQ(signature.size(), 64u);
    if (signature[0] == '\0' || signature[32] == '\0') ++short_values;
    ASSERT_TRUE(openssl_verifies(jwt->substr(0, dot2), signature, keys->public_key())) << i;
  }
  RecordProperty("short_r_or_s", short_values);
}

TEST(WebPushVapid, SubjectsAndAudiences) {
  for (const char* ok : {"mailto:ops@example.com", "https://example.com", "https://example.com/contact"}) {
    EXPECT_TRUE(validate_vapid_subject(ok).ok()) << ok;
  }
  for (const char* bad : {"", "ops@example.com", "mailto:", "mailto:ops", "mailto:@x", "mailto:a@", "mailto: ops@x.com",
                          "mailto:a@b@c", "http://example.com", "https://", "tel:+821012345678"}) {
    auto s = validate_vapid_subject(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, "invalid_vapid_subject") << bad;
  }
  EXPECT_FALSE(validate_vapid_subject("mailto:" + std::string(250, 'a') + "@x.com").ok());
  auto keys = VapidKeys::generate().value();
  for (const char* aud : {"", "http://push.example.net", "https://push.example.net/", "https://push.example.net/p",
                          "https://", "https://a b"}) {
    auto jwt = sign_vapid_jwt(keys, {aud, 1'700'000'000, "mailto:ops@example.com"});
    ASSERT_FALSE(jwt.ok()) << aud;
    EXPECT_EQ(jwt.error().code, "invalid_vapid_claims") << aud;
  }
  EXPECT_EQ(sign_vapid_jwt(keys, {"https://push.example.net", 0, "mailto:ops@example.com"}).error().code,
            "invalid_vapid_claims");
}

TEST(WebPushVapid, DerToRawEdgeCases) {
  auto hex = [](const char* h) { return crypto::from_hex(h).value(); };
  const std::string r32 = hex("7f11111111111111111111111111111111111111111111111111111111111111");
  const std::string s32 = hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  const std::string high = hex("8000000000000000000000000000000000000000000000000000000000000001");
  struct Row {
    const char* name;
    std::string der;
    std::string raw;
  } rows[] = {
      {"plain 32/32", "\x30\x44\x02\x20" + r32 + "\x02\x20" + s32, r32 + s32},
      {"high bit: 0x00 prefix", "\x30\x45\x02\x21" + std::string(1, '\0') + high + "\x02\x20" + s32, high + s32},
      {"both high", "\x30\x46\x02\x21" + std::string(1, '\0') + high + "\x02\x21" + std::string(1, '\0') + high,
       high + high},
      {"short r: left-padded", "\x30\x43\x02\x1f" + r32.substr(1) + "\x02\x20" + s32,
       std::string(1, '\0') + r32.substr(1) + s32},
      {"short s: left-padded", "\x30\x42\x02\x20" + r32 + "\x02\x1e" + s32.substr(2),
       r32 + std::string(2, '\0') + s32.substr(2)},
      {"one-byte values", std::string("\x30\x06\x02\x01\x01\x02\x01\x02", 8),
       std::string(31, '\0') + "\x01" + std::string(31, '\0') + "\x02"},
      {"0x80 needs 0x00", std::string("\x30\x08\x02\x02\x00\x80\x02\x02\x00\xff", 10),
       std::string(31, '\0') + "\x80" + std::string(31, '\0') + "\xff"},
  };
  for (const Row& r : rows) {
    auto raw = ecdsa_der_to_raw(r.der);
    ASSERT_TRUE(raw.ok()) << r.name;
    EXPECT_EQ(crypto::to_hex(*raw), crypto::to_hex(r.raw)) << r.name;
    auto der = ecdsa_raw_to_der(r.raw);
    ASSERT_TRUE(der.ok()) << r.name;
    EXPECT_EQ(crypto::to_hex(*der), crypto::to_hex(r.der)) << r.name;
  }
  // raw → DER agrees with OpenSSL's encoder, including leading zero bytes.
  for (int i = 0; i < 200; ++i) {
    std::string raw = crypto::random_bytes(64);
    const int zeros_r = i % 5, zeros_s = (i / 5) % 5;
    std::fill(raw.begin(), raw.begin() + zeros_r, '\0');
    std::fill(raw.begin() + 32, raw.begin() + 32 + zeros_s, '\0');
    if (i % 7 == 0) raw[zeros_r] = '\x80';
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(sig, &der);
    const std::string expected(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EXPECT_EQ(crypto::to_hex(ecdsa_raw_to_der(raw).value()), crypto::to_hex(expected));
    EXPECT_EQ(ecdsa_der_to_raw(expected).value(), raw);
  }

  struct Bad {
    const char* name;
    std::string der;
  } bad[] = {
      {"empty", ""},
      {"not a sequence", "\x31\x06\x02\x01\x01\x02\x01\x01"},
      {"length mismatch", "\x30\x07\x02\x01\x01\x02\x01\x01"},
      {"trailing byte", std::string("\x30\x06\x02\x01\x01\x02\x01\x01\x00", 9)},
      {"long-form length", std::string("\x30\x81\x06\x02\x01\x01\x02\x01\x01", 9)},
      {"negative r", "\x30\x06\x02\x01\x81\x02\x01\x01"},
      {"non-minimal r", std::string("\x30\x07\x02\x02\x00\x01\x02\x01\x01", 9)},
      {"empty integer", std::string("\x30\x05\x02\x00\x02\x01\x01", 7)},
      {"r of 33 bytes without 0x00", "\x30\x45\x02\x21" + std::string(33, '\x01') + "\x02\x20" + s32},
      {"r of 34 bytes", "\x30\x46\x02\x22" + std::string(1, '\0') + std::string(33, '\x81') + "\x02\x20" + s32},
      {"one integer", std::string("\x30\x03\x02\x01\x01", 5)},
      {"three integers", std::string("\x30\x09\x02\x01\x01\x02\x01\x01\x02\x01\x01", 11)},
      {"octet string", "\x30\x06\x04\x01\x01\x02\x01\x01"},
  };
  for (const Bad& b : bad) {
    auto raw = ecdsa_der_to_raw(b.der);
    ASSERT_FALSE(raw.ok()) << b.name;
    EXPECT_EQ(raw.error().code, "invalid_signature") << b.name;
  }
  EXPECT_FALSE(ecdsa_raw_to_der(std::string(63, '\x01')).ok());
  // All-zero R and S still encode (as INTEGER 0); they never verify.
  EXPECT_EQ(crypto::to_hex(ecdsa_raw_to_der(std::string(64, '\0')).value()), "3006020100020100");
}

TEST(WebPushVapid, VerifyRefusesMalformedJwts) {
  auto keys = VapidKeys::generate().value();
  const std::string jwt = sign_vapid_jwt(keys, {"https://push.example.net", 1'700'000'000, "mailto:a@b.c"}).value();
  const std::size_t dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  const std::string body = jwt.substr(dot1 + 1, dot2 - dot1 - 1), sig = jwt.substr(dot2 + 1);
  for (const std::string& bad : {
           std::string(), jwt + ".", jwt.substr(0, dot2), "x" + jwt,
           enc(R"({"typ":"JWT","alg":"HS256"})") + "." + body + "." + sig,
           enc(R"({"typ":"JWT","alg":"none"})") + "." + body + ".",
           // Claims changed (exp + 1) under the original signature.
           enc(R"({"typ":"JWT","alg":"ES256"})") + "." +
               enc(R"({"aud":"https://push.example.net","exp":1700000001,"sub":"mailto:a@b.c"})") + "." + sig,
           jwt.substr(0, dot2 + 1) + sig.substr(0, 80), jwt.substr(0, dot2 + 1) + enc(std::string(64, '\0')),
           jwt + std::string(5000, 'A')}) {
    auto claims = verify_vapid_jwt(bad, keys.public_key());
    ASSERT_FALSE(claims.ok()) << bad;
    EXPECT_EQ(claims.error().code, "invalid_jwt") << bad;
  }
}

TEST(WebPushVapid, CacheReusesTokenWhileMoreThanAnHourLeft) {
  auto cache = VapidTokenCache::make(VapidKeys::generate().value(), "mailto:ops@example.com");
  ASSERT_TRUE(cache.ok());
  const TimeMs t0 = 1'700'000'000'000;
  const std::string a = cache->authorization("https://fcm.googleapis.com", t0).value();
  const std::string public_key = cache->keys().public_key_base64url();
  ASSERT_EQ(a.rfind("vapid t=", 0), 0u);
  ASSERT_EQ(a.substr(a.size() - public_key.size() - 4), ", k=" + public_key);
  const std::string jwt = a.substr(8, a.find(", k=") - 8);
  auto claims = verify_vapid_jwt(jwt, cache->keys().public_key());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->expires_at_s, t0 / 1000 + 12 * 3600);
  EXPECT_EQ(claims->audience, "https://fcm.googleapis.com");
  EXPECT_EQ(claims->subject, "mailto:ops@example.com");

  // Reused up to 11 h later (exactly 1 h + 1 s left), re-signed once only 1 h is left.
  EXPECT_EQ(cache->authorization("https://fcm.googleapis.com", t0 + 1000).value(), a);
  EXPECT_EQ(cache->authorization("https://fcm.googleapis.com", t0 + (11 * 3600 - 1) * 1000LL).value(), a);
  const std::string renewed = cache->authorization("https://fcm.googleapis.com", t0 + 11 * 3600 * 1000LL).value();
  EXPECT_NE(renewed, a);
  EXPECT_EQ(verify_vapid_jwt(renewed.substr(8, renewed.find(", k=") - 8), cache->keys().public_key())->expires_at_s,
            t0 / 1000 + 23 * 3600);
  // One token per audience.
  const std::string other = cache->authorization("https://updates.push.services.mozilla.com", t0).value();
  EXPECT_NE(other, renewed);
  EXPECT_EQ(cache->size(), 2u);
  // Bounded.
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(cache->authorization("https://push" + std::to_string(i) + ".example.net", t0 + i).ok());
  }
  EXPECT_EQ(cache->size(), VapidTokenCache::kMaxEntries);
  EXPECT_EQ(cache->authorization("https://push.example.net/path", t0).error().code, "invalid_vapid_claims");
}

TEST(WebPushVapid, CacheSettings) {
  auto keys = [] { return VapidKeys::generate().value(); };
  EXPECT_EQ(VapidTokenCache::make(keys(), "ops@example.com").error().code, "invalid_vapid_subject");
  EXPECT_EQ(VapidTokenCache::make(keys(), "mailto:a@b.c", 3600).error().code, "invalid_vapid_claims");
  EXPECT_EQ(VapidTokenCache::make(keys(), "mailto:a@b.c", 24 * 3600 + 1).error().code, "invalid_vapid_claims");
  auto day = VapidTokenCache::make(keys(), "mailto:a@b.c", 24 * 3600);
  ASSERT_TRUE(day.ok());
  const std::string h = day->authorization("https://push.example.net", 1'000'000'000'000).value();
  EXPECT_EQ(verify_vapid_jwt(h.substr(8, h.find(", k=") - 8), day->keys().public_key())->expires_at_s,
            1'000'000'000 + 24 * 3600);
}

// ---- requests and answers ---------------------------------------------------------------------------------

TEST(WebPushRequest, BuildsThePostAPushServiceExpects) {
  const P256KeyPair ua = ua_keys();
  const std::string auth = crypto::random_bytes(16);
  auto sub = make_subscription("https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk", enc(ua.public_key),
                               enc(auth), std::nullopt);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  auto vapid = VapidTokenCache::make(VapidKeys::generate().value(), "mailto:ops@example.com").value();
  PushMessage message;
  message.payload = R"({"title":"주문이 발송되었습니다","url":"/orders/1"})";
  message.ttl_seconds = 3600;
  message.urgency = Urgency::high;
  message.topic = "order-1_shipped";
  const TimeMs now = 1'700'000'000'000;
  auto request = build_push_request(*sub, message, vapid, now);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk");
  const std::string authorization = vapid.authorization(sub->origin, now).value();
  const std::vector<std::pair<std::string, std::string>> expected{
      {"Content-Encoding", "aes128gcm"}, {"Content-Type", "application/octet-stream"}, {"TTL", "3600"},
      {"Urgency", "high"},               {"Topic", "order-1_shipped"},                 {"Authorization", authorization}};
  ASSERT_EQ(request->headers.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(request->headers[i].name, expected[i].first);
    EXPECT_EQ(request->headers[i].value, expected[i].second);
  }
  const std::string jwt = authorization.substr(8, authorization.find(", k=") - 8);
  EXPECT_EQ(verify_vapid_jwt(jwt, vapid.keys().public_key())->audience, "https://updates.push.services.mozilla.com");
  EXPECT_EQ(decrypt(request->body, ua.private_key, auth).value(), message.payload);

  // No Topic header without a topic; the default urgency is normal.
  PushMessage plain;
  plain.payload = "x";
  plain.ttl_seconds = 0;
  auto r2 = build_push_request(*sub, plain, vapid, now).value();
  ASSERT_EQ(r2.headers.size(), 5u);
  EXPECT_EQ(r2.headers[2].value, "0");
  EXPECT_EQ(r2.headers[3].value, "normal");
  EXPECT_EQ(r2.headers[4].name, "Authorization");

  // Fixed inputs reproduce encrypt_with's body.
  const FixedEncryptionInputs fixed{crypto::random_bytes(16), ua_keys().private_key};
  EXPECT_EQ(build_push_request(*sub, plain, vapid, now, &fixed).value().body,
            encrypt_with(sub->p256dh, sub->auth, "x", fixed.salt, fixed.as_private).value());
}

TEST(WebPushRequest, RefusesBadMessages) {
  auto sub = make_subscription(kEndpoint, Rfc8291::ua_public, Rfc8291::auth, std::nullopt).value();
  auto vapid = VapidTokenCache::make(VapidKeys::generate().value(), "mailto:ops@example.com").value();
  struct Row {
    const char* name;
    PushMessage message;
    const char* code;
    const char* field;
  } rows[] = {
      {"payload 3994", {std::string(3994, 'x'), 60, Urgency::normal, ""}, "payload_too_large", "payload"},
      {"negative TTL", {"x", -1, Urgency::normal, ""}, "invalid_push_message", "ttl"},
      {"TTL over 4 weeks", {"x", kMaxTtlSeconds + 1, Urgency::normal, ""}, "invalid_push_message", "ttl"},
      {"topic 33", {"x", 60, Urgency::normal, std::string(33, 'a')}, "invalid_push_message", "topic"},
      {"topic space", {"x", 60, Urgency::normal, "a b"}, "invalid_push_message", "topic"},
      {"topic padding", {"x", 60, Urgency::normal, "abc="}, "invalid_push_message", "topic"},
      {"topic +", {"x", 60, Urgency::normal, "a+b"}, "invalid_push_message", "topic"},
  };
  for (const Row& r : rows) {
    auto request = build_push_request(sub, r.message, vapid, 1'700'000'000'000);
    ASSERT_FALSE(request.ok()) << r.name;
    EXPECT_EQ(request.error().code, r.code) << r.name;
    EXPECT_EQ(request.error().field, r.field) << r.name;
  }
  EXPECT_TRUE(build_push_request(sub, {std::string(3993, 'x'), kMaxTtlSeconds, Urgency::very_low, std::string(32, '_')},
                                 vapid, 1'700'000'000'000)
                  .ok());
  EXPECT_FALSE(validate_topic("").ok());
}

TEST(WebPushRequest, UrgencyNames) {
  EXPECT_EQ(to_string(Urgency::very_low), "very-low");
  EXPECT_EQ(to_string(Urgency::low), "low");
  EXPECT_EQ(to_string(Urgency::normal), "normal");
  EXPECT_EQ(to_string(Urgency::high), "high");
  EXPECT_EQ(parse_urgency("very-low"), Urgency::very_low);
  EXPECT_EQ(parse_urgency("high"), Urgency::high);
  EXPECT_FALSE(parse_urgency("very_low").has_value());
  EXPECT_FALSE(parse_urgency("HIGH").has_value());
}

TEST(WebPushResponse, StatusTable) {
  const TimeMs now = 1'700'000'000'000;
  struct Row {
    int status;
    const char* retry_after;
    SendOutcome outcome;
    const char* code;
    bool remove;
    std::optional<TimeMs> retry_after_ms;
  } rows[] = {
      {201, "", SendOutcome::accepted, "accepted", false, std::nullopt},
      {202, "", SendOutcome::accepted, "accepted", false, std::nullopt},
      {200, "", SendOutcome::accepted, "accepted", false, std::nullopt},
      {404, "", SendOutcome::next_channel, "subscription_gone", true, std::nullopt},
      {410, "", SendOutcome::next_channel, "subscription_gone", true, std::nullopt},
      {413, "", SendOutcome::permanent, "payload_too_large", false, std::nullopt},
      {429, "30", SendOutcome::retryable, "rate_limited", false, 30'000},
      {429, "", SendOutcome::retryable, "rate_limited", false, std::nullopt},
      {429, "soon", SendOutcome::retryable, "rate_limited", false, std::nullopt},
      {400, "", SendOutcome::permanent, "bad_request", false, std::nullopt},
      {401, "", SendOutcome::permanent, "vapid_rejected", false, std::nullopt},
      {403, "", SendOutcome::permanent, "vapid_rejected", false, std::nullopt},
      {408, "", SendOutcome::permanent, "rejected", false, std::nullopt},
      {500, "", SendOutcome::retryable, "push_service_error", false, std::nullopt},
      {502, "", SendOutcome::retryable, "push_service_error", false, std::nullopt},
      {503, "120", SendOutcome::retryable, "push_service_error", false, 120'000},
      {301, "", SendOutcome::permanent, "unexpected_status", false, std::nullopt},
      {0, "", SendOutcome::permanent, "unexpected_status", false, std::nullopt},
  };
  for (const Row& r : rows) {
    const PushResponse p = classify_push_response(r.status, r.retry_after, now);
    EXPECT_EQ(p.outcome, r.outcome) << r.status;
    EXPECT_EQ(p.code, r.code) << r.status;
    EXPECT_EQ(p.remove_subscription, r.remove) << r.status;
    EXPECT_EQ(p.retry_after_ms, r.retry_after_ms) << r.status << " " << r.retry_after;
  }
}

TEST(WebPushResponse, RetryAfter) {
  // 2023-11-14T22:13:20Z = 1'700'000'000 s.
  const TimeMs now = 1'700'000'000'000;
  EXPECT_EQ(parse_retry_after("0", now), 0);
  EXPECT_EQ(parse_retry_after(" 5 ", now), 5000);
  EXPECT_EQ(parse_retry_after("86400", now), 86'400'000);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), 86'400'000);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now), 60'000);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
  EXPECT_EQ(parse_retry_after("Fri, 14 Nov 2025 22:00:00 GMT", now), 86'400'000);
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now).has_value());
  EXPECT_FALSE(parse_retry_after("1.5", now).has_value());
  EXPECT_FALSE(parse_retry_after("Tue, 31 Nov 2023 22:14:20 GMT", now).has_value());
  EXPECT_FALSE(parse_retry_after("Tuesday, 14-Nov-23 22:14:20 GMT", now).has_value());
  EXPECT_FALSE(parse_retry_after("Tue, 14 Nov 2023 22:14:20 UTC", now).has_value());
}

}  // namespace
}  // namespace jarip::channels::webpush
