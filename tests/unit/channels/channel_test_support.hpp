// Shared fixtures for the provider adapter tests: the settings the golden vectors were made with
// (tests/golden/README.md), and JSON/golden-file helpers.
#pragma once

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "channels/registry.hpp"
#include "channels/wire.hpp"

#ifndef JARIP_SOURCE_DIR
#define JARIP_SOURCE_DIR "."
#endif

namespace jarip::channels::testing {

inline constexpr const char* kGoldenBase = "https://golden.invalid";

inline ProviderSettings solapi_settings() {
  ProviderSettings s;
  s.name = "solapi";
  s.type = "solapi";
  s.values = {{"base_url", kGoldenBase},
              {"api_key", "NCSAYU7YDBXYORXC"},
              {"api_secret", "golden-api-secret-0123456789"},
              {"sender", "029302266"},
              {"pf_id", "KA01PF200323182344986oTFz9CIabcx"},
              {"report_token", "golden-report-token-2f9c1e7a"}};
  return s;
}

inline ProviderSettings nhn_settings() {
  ProviderSettings s;
  s.name = "nhn";
  s.type = "nhn";
  s.values = {{"alimtalk_base_url", kGoldenBase},
              {"sms_base_url", kGoldenBase},
              {"alimtalk_appkey", "golden-alimtalk-appkey"},
              {"sms_appkey", "golden-sms-appkey"},
              {"secret_key", "golden-secret-key"},
              {"sender_key", "3d2a6cd5cd1c8e5d2e0b1a3f4c5d6e7f8a9b0c1d"},
              {"sender", "15446859"},
              {"webhook_signature", "golden-webhook-signature-7d1f"},
              {"batch_size", "100"}};
  return s;
}

inline std::unique_ptr<ProviderAdapter> make_or_die(const ProviderSettings& settings) {
  auto adapter = make_adapter(settings);
  if (!adapter) {
    ADD_FAILURE() << "make_adapter: " << adapter.error().code << " " << adapter.error().message;
    return nullptr;
  }
  return std::move(adapter).value();
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline boost::json::value load_json(const std::filesystem::path& path) {
  return boost::json::parse(read_file(path));
}

// Golden files of a provider whose name starts with `prefix`, sorted. Files prefixed "sim-" belong to the
// simulator's own vectors and are not read here.
inline std::vector<std::filesystem::path> golden_files(const std::string& provider, const std::string& prefix) {
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = std::filesystem::path(JARIP_SOURCE_DIR) / "tests" / "golden" / provider;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("sim-")) continue;
    if (name.starts_with(prefix) && name.ends_with(".json")) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A golden `body`: a JSON string stands for the raw body text; anything else is serialized.
inline std::string raw_body(const boost::json::value& body) {
  if (body.is_string()) return std::string(body.get_string());
  if (body.is_null()) return {};
  return boost::json::serialize(body);
}

inline std::string str(const boost::json::object& o, const char* key) {
  auto v = wire::member_text(o, key);
  return v.value_or("");
}

inline SendKind kind_from(const std::string& text) {
  if (text == "alimtalk") return SendKind::alimtalk;
  if (text == "lms") return SendKind::lms;
  return SendKind::sms;
}

inline OutboundMessage message_from(const boost::json::object& o, SendKind kind) {
  OutboundMessage m;
  m.kind = kind;
  m.message_id = str(o, "message_id");
  m.dedup_key = str(o, "dedup_key");
  m.to = str(o, "to");
  m.text = str(o, "text");
  m.subject = str(o, "subject");
  m.template_code = str(o, "template_code");
  if (const auto* vars = wire::member_array(o, "variables")) {
    for (const auto& pair : *vars) {
      const auto& a = pair.as_array();
      m.variables.emplace_back(std::string(a.at(0).as_string()), std::string(a.at(1).as_string()));
    }
  }
  if (const auto* buttons = wire::member_array(o, "buttons")) {
    for (const auto& b : *buttons) {
      const auto& bo = b.as_object();
      m.buttons.push_back(AlimtalkButton{str(bo, "type"), str(bo, "name"), str(bo, "link_mobile"), str(bo, "link_pc"),
                                         str(bo, "scheme_ios"), str(bo, "scheme_android")});
    }
  }
  return m;
}

inline std::vector<OutboundMessage> batch_from(const boost::json::array& a, SendKind kind) {
  std::vector<OutboundMessage> out;
  for (const auto& v : a) out.push_back(message_from(v.as_object(), kind));
  return out;
}

inline TimeMs time_from(const std::string& iso) { return wire::parse_timestamp(iso, 0).value_or(0); }

inline OutboundMessage sms_message(std::string id, std::string to = "01000000001", std::string text = "hello") {
  OutboundMessage m;
  m.kind = SendKind::sms;
  m.message_id = id;
  m.dedup_key = id + ":0";
  m.to = std::move(to);
  m.text = std::move(text);
  return m;
}

inline OutboundMessage alimtalk_message(std::string id, std::string template_code = "ORDER_ACCEPTED") {
  OutboundMessage m;
  m.kind = SendKind::alimtalk;
  m.message_id = id;
  m.dedup_key = id + ":0";
  m.to = "01000000001";
  m.text = "rendered";
  m.template_code = std::move(template_code);
  m.variables = {{"name", "홍길동"}};
  return m;
}

inline RequestContext context_at(TimeMs now = 1'561'941'708'000, std::string nonce = "0123456789abcdef0123456789abcdef") {
  RequestContext c;
  c.now_ms = now;
  c.nonce = std::move(nonce);
  return c;
}

}  // namespace jarip::channels::testing
