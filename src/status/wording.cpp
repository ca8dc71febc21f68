// The wording of automatic notices: the merchant's templates, checked and filled in.
#include <boost/json.hpp>

#include "status/status.hpp"
#include "text/hangul.hpp"
#include "text/utf8.hpp"

namespace jarip::status {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTemplateChars = 300;
constexpr std::string_view kParticle = "(으)로";

// The one fixed sentence: a template that promises a fallback channel cannot be used when there is none.
constexpr std::string_view kNoFallbackKo = "{channel} 알림이 지연되고 있습니다";
constexpr std::string_view kNoFallbackEn = "{channel} notifications are delayed";

Status check_template(std::string_view text, std::string_view field, bool fallback_allowed) {
  auto bad = [&](std::string why) { return make_error("invalid_request", std::string(field) + ": " + why, std::string(field)); };
  auto chars = text::count_code_points(text);
  if (!chars) return bad("not valid UTF-8");
  if (*chars == 0) return bad("must not be empty");
  if (*chars > kMaxTemplateChars) return bad("at most " + std::to_string(kMaxTemplateChars) + " characters");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return bad("'}' without '{'");
    if (text[i] != '{') continue;
    auto close = text.find('}', i);
    if (close == std::string_view::npos) return bad("'{' without '}'");
    std::string_view name = text.substr(i + 1, close - i - 1);
    if (name != "channel" && !(name == "fallback" && fallback_allowed)) {
      return bad("unknown placeholder {" + std::string(name) + "}" +
                 (fallback_allowed ? " (use {channel} or {fallback})" : " (use {channel})"));
    }
    i = close;
  }
  return {};
}

// Replaces {channel} and {fallback}; in Korean, a "(으)로" right after a placeholder becomes the
// particle its value takes.
std::string fill(std::string_view tmpl, std::string_view channel, std::string_view fallback, bool korean) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    std::string_view value;
    std::size_t skip = 0;
    if (tmpl.substr(i).starts_with("{channel}")) {
      value = channel, skip = 9;
    } else if (tmpl.substr(i).starts_with("{fallback}")) {
      value = fallback, skip = 10;
    }
    if (skip == 0) {
      out.push_back(tmpl[i++]);
      continue;
    }
    out += value;
    i += skip;
    if (korean && tmpl.substr(i).starts_with(kParticle)) {
      out += korean_ro_particle(value);
      i += kParticle.size();
    }
  }
  return out;
}

}  // namespace

std::string_view korean_ro_particle(std::string_view word) {
  if (word.empty()) return kParticle;
  // The last code point: step back over UTF-8 continuation bytes.
  std::size_t start = word.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(word[start]) & 0xC0) == 0x80) --start;
  auto step = text::decode_utf8_step(word, start);
  if (step.reason || !text::is_hangul_syllable(step.code_point)) return kParticle;
  int final_consonant = static_cast<int>((step.code_point - 0xAC00) % 28);
  return final_consonant == 0 || final_consonant == 8 ? "로" : "으로";  // 8 = ㄹ
}

Status validate_templates(const NoticeTemplates& t) {
  if (auto s = check_template(t.down_ko, "down_ko", true); !s) return s;
  if (auto s = check_template(t.down_en, "down_en", true); !s) return s;
  if (auto s = check_template(t.recovered_ko, "recovered_ko", false); !s) return s;
  return check_template(t.recovered_en, "recovered_en", false);
}

Result<NoticeTemplates> parse_templates(std::string_view text) {
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return make_error("invalid_request", "the templates must be a JSON object");
  NoticeTemplates t;
  for (auto& [key, value] : doc.as_object()) {
    std::string* target = key == "down_ko"        ? &t.down_ko
                          : key == "down_en"      ? &t.down_en
                          : key == "recovered_ko" ? &t.recovered_ko
                          : key == "recovered_en" ? &t.recovered_en
                                                  : nullptr;
    std::string k(key);
    if (!target) return make_error("invalid_request", "unknown field '" + k + "'", k);
    if (!value.is_string()) return make_error("invalid_request", k + " must be a string", k);
    *target = std::string(value.as_string());
  }
  if (auto s = validate_templates(t); !s) return s.error();
  return t;
}

std::string templates_json(const NoticeTemplates& t) {
  return json::serialize(json::object{{"down_ko", t.down_ko},
                                      {"down_en", t.down_en},
                                      {"recovered_ko", t.recovered_ko},
                                      {"recovered_en", t.recovered_en}});
}

Bilingual down_wording(const NoticeTemplates& t, std::string_view channel, std::string_view fallback) {
  Bilingual name = channel_name(channel);
  Bilingual out;
  if (fallback.empty()) {
    auto ko = t.down_ko.find("{fallback}") == std::string::npos ? std::string_view(t.down_ko) : kNoFallbackKo;
    auto en = t.down_en.find("{fallback}") == std::string::npos ? std::string_view(t.down_en) : kNoFallbackEn;
    out.ko = fill(ko, name.ko, "", true);
    out.en = fill(en, name.en, "", false);
    return out;
  }
  Bilingual via = channel_name(fallback);
  out.ko = fill(t.down_ko, name.ko, via.ko, true);
  out.en = fill(t.down_en, name.en, via.en, false);
  return out;
}

Bilingual recovered_wording(const NoticeTemplates& t, std::string_view channel) {
  Bilingual name = channel_name(channel);
  return {fill(t.recovered_ko, name.ko, "", true), fill(t.recovered_en, name.en, "", false)};
}

}  // namespace jarip::status
