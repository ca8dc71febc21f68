#include "sim/config.hpp"

#include <boost/json.hpp>

#include <set>

#include "sim/json_text.hpp"

namespace jarip::sim {
namespace json = boost::json;
namespace {

Status check_keys(const json::object& o, std::set<std::string> allowed, const std::string& where) {
  for (const auto& kv : o) {
    std::string k = to_std(kv.key());
    if (!allowed.count(k)) return make_error("config_unknown_key", "unknown key '" + k + "' in " + where, k);
  }
  return {};
}

Status read_string(const json::object& o, const char* key, std::string& out, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (!it->value().is_string()) return make_error("config_type", where + key + " must be a string", key);
  out = to_std(it->value().get_string());
  return {};
}

Status read_int(const json::object& o, const char* key, int& out, int lo, int hi, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  const auto& v = it->value();
  long long n;
  if (v.is_int64()) n = v.get_int64();
  else if (v.is_uint64()) n = static_cast<long long>(v.get_uint64() & 0x7fffffff);
  else return make_error("config_type", where + key + " must be an integer", key);
  if (n < lo || n > hi)
    return make_error("config_range", where + key + " must be in " + std::to_string(lo) + ".." + std::to_string(hi), key);
  out = static_cast<int>(n);
  return {};
}

Status read_strings(const json::object& o, const char* key, std::vector<std::string>& out, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (!it->value().is_array()) return make_error("config_type", where + key + " must be an array of strings", key);
  out.clear();
  for (const auto& e : it->value().get_array()) {
    if (!e.is_string()) return make_error("config_type", where + key + " must be an array of strings", key);
    out.push_back(to_std(e.get_string()));
  }
  return {};
}

Status read_buttons(const json::value& v, std::vector<TemplateButton>& out, const std::string& where) {
  if (!v.is_array()) return make_error("config_type", where + "buttons must be an array", "buttons");
  for (const auto& b : v.get_array()) {
    if (!b.is_object()) return make_error("config_type", where + "buttons[] must be objects", "buttons");
    TemplateButton tb;
    auto pick = [&](std::initializer_list<const char*> keys) {
      for (const char* k : keys)
        if (auto s = get_string(b, k)) return *s;
      return std::string{};
    };
    tb.type = pick({"buttonType", "type"});
    tb.name = pick({"buttonName", "name"});
    tb.link_mo = pick({"linkMo"});
    tb.link_pc = pick({"linkPc"});
    tb.link_android = pick({"linkAnd", "schemeAndroid"});
    tb.link_ios = pick({"linkIos", "schemeIos"});
    if (tb.type.empty() || tb.name.empty())
      return make_error("config_value", where + "every button needs a type and a name", "buttons");
    out.push_back(std::move(tb));
  }
  return {};
}

Status read_templates(const json::object& o, const char* id_key, std::vector<Template>& out, const std::string& where) {
  auto it = o.find("templates");
  if (it == o.end()) return {};
  if (!it->value().is_array()) return make_error("config_type", where + "templates must be an array", "templates");
  out.clear();
  for (const auto& t : it->value().get_array()) {
    if (!t.is_object()) return make_error("config_type", where + "templates[] must be objects", "templates");
    if (auto s = check_keys(t.get_object(), {id_key, "content", "buttons"}, where + "templates[]"); !s) return s;
    Template tp;
    tp.id = get_string(t, id_key).value_or("");
    tp.content = get_string(t, "content").value_or("");
    if (tp.id.empty() || tp.content.empty())
      return make_error("config_value", where + "every template needs " + id_key + " and content", "templates");
    if (const auto* b = find_field(t, "buttons"))
      if (auto s = read_buttons(*b, tp.buttons, where + "templates[]."); !s) return s;
    out.push_back(std::move(tp));
  }
  return {};
}

void write_buttons(json::object& t, const std::vector<TemplateButton>& buttons, bool solapi) {
  json::array arr;
  int ordering = 1;
  for (const auto& b : buttons) {
    json::object o;
    if (solapi) {
      o["buttonType"] = b.type;
      o["buttonName"] = b.name;
      if (!b.link_mo.empty()) o["linkMo"] = b.link_mo;
      if (!b.link_pc.empty()) o["linkPc"] = b.link_pc;
      if (!b.link_android.empty()) o["linkAnd"] = b.link_android;
      if (!b.link_ios.empty()) o["linkIos"] = b.link_ios;
    } else {
      o["ordering"] = ordering++;
      o["type"] = b.type;
      o["name"] = b.name;
      if (!b.link_mo.empty()) o["linkMo"] = b.link_mo;
      if (!b.link_pc.empty()) o["linkPc"] = b.link_pc;
      if (!b.link_android.empty()) o["schemeAndroid"] = b.link_android;
      if (!b.link_ios.empty()) o["schemeIos"] = b.link_ios;
    }
    arr.push_back(std::move(o));
  }
  t["buttons"] = std::move(arr);
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

}  // namespace

SimConfig default_config() {
  SimConfig c;
  TemplateButton b{"WL", "배송조회", "https://example.com/track", "https://example.com/track", "", ""};
  c.solapi.templates.push_back(
      Template{"KA01TP000000000000000000SHIP", "#{name}님 주문 #{order}번이 발송되었습니다.", {b}});
  c.nhn.templates.push_back(Template{"JARIP_SHIP", "#{name}님 주문 #{order}번이 발송되었습니다.", {b}});
  return c;
}

Result<SimConfig> parse_config(std::string_view text) {
  json::value root;
  try {
    root = json::parse(json::string_view(text.data(), text.size()));
  } catch (const std::exception& e) {
    return make_error("config_json", std::string("sim.json is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return make_error("config_json", "sim.json must be a JSON object");
  SimConfig c;
  const auto& o = root.get_object();
  if (auto s = check_keys(o, {"listen_host", "admin_port", "report_delay_ms", "report_batch_max", "non_kakao_users",
                              "kakao_blocked", "solapi", "nhn", "push_port"}, "sim.json");
      !s)
    return s.error();
  Status s;
  if (!(s = read_string(o, "listen_host", c.listen_host, ""))) return s.error();
  if (!(s = read_int(o, "admin_port", c.admin_port, 1, 65535, ""))) return s.error();
  if (!(s = read_int(o, "push_port", c.push_port, 0, 65535, ""))) return s.error();
  if (!(s = read_int(o, "report_delay_ms", c.report_delay_ms, 0, 3'600'000, ""))) return s.error();
  if (!(s = read_int(o, "report_batch_max", c.report_batch_max, 1, 100'000, ""))) return s.error();
  if (!(s = read_strings(o, "non_kakao_users", c.non_kakao_users, ""))) return s.error();
  if (!(s = read_strings(o, "kakao_blocked", c.kakao_blocked, ""))) return s.error();
  if (auto it = o.find("solapi"); it != o.end()) {
    if (!it->value().is_object()) return make_error("config_type", "solapi must be an object", "solapi");
    const auto& p = it->value().get_object();
    const std::string w = "solapi.";
    if (!(s = check_keys(p, {"port", "api_key", "api_secret", "pf_id", "senders", "webhook_url", "templates"}, "solapi")))
      return s.error();
    if (!(s = read_int(p, "port", c.solapi.port, 1, 65535, w))) return s.error();
    if (!(s = read_string(p, "api_key", c.solapi.api_key, w))) return s.error();
    if (!(s = read_string(p, "api_secret", c.solapi.api_secret, w))) return s.error();
    if (!(s = read_string(p, "pf_id", c.solapi.pf_id, w))) return s.error();
    if (!(s = read_strings(p, "senders", c.solapi.senders, w))) return s.error();
    if (!(s = read_string(p, "webhook_url", c.solapi.webhook_url, w))) return s.error();
    if (!(s = read_templates(p, "template_id", c.solapi.templates, w))) return s.error();
  }
  if (auto it = o.find("nhn"); it != o.end()) {
    if (!it->value().is_object()) return make_error("config_type", "nhn must be an object", "nhn");
    const auto& p = it->value().get_object();
    const std::string w = "nhn.";
    if (!(s = check_keys(p, {"alimtalk_port", "sms_port", "alimtalk_appkey", "sms_appkey", "secret_key", "sender_key",
                             "send_nos", "webhook_url", "webhook_signature", "templates"}, "nhn")))
      return s.error();
    if (!(s = read_int(p, "alimtalk_port", c.nhn.alimtalk_port, 1, 65535, w))) return s.error();
    if (!(s = read_int(p, "sms_port", c.nhn.sms_port, 1, 65535, w))) return s.error();
    if (!(s = read_string(p, "alimtalk_appkey", c.nhn.alimtalk_appkey, w))) return s.error();
    if (!(s = read_string(p, "sms_appkey", c.nhn.sms_appkey, w))) return s.error();
    if (!(s = read_string(p, "secret_key", c.nhn.secret_key, w))) return s.error();
    if (!(s = read_string(p, "sender_key", c.nhn.sender_key, w))) return s.error();
    if (!(s = read_strings(p, "send_nos", c.nhn.send_nos, w))) return s.error();
    if (!(s = read_string(p, "webhook_url", c.nhn.webhook_url, w))) return s.error();
    if (!(s = read_string(p, "webhook_signature", c.nhn.webhook_signature, w))) return s.error();
    if (!(s = read_templates(p, "template_code", c.nhn.templates, w))) return s.error();
  }
  return c;
}

std::string config_to_json(const SimConfig& c) {
  json::object root;
  root["listen_host"] = c.listen_host;
  root["admin_port"] = c.admin_port;
  root["push_port"] = c.push_port;
  root["report_delay_ms"] = c.report_delay_ms;
  root["report_batch_max"] = c.report_batch_max;
  root["non_kakao_users"] = to_array(c.non_kakao_users);
  root["kakao_blocked"] = to_array(c.kakao_blocked);
  json::object s;
  s["port"] = c.solapi.port;
  s["api_key"] = c.solapi.api_key;
  s["api_secret"] = c.solapi.api_secret;
  s["pf_id"] = c.solapi.pf_id;
  s["senders"] = to_array(c.solapi.senders);
  s["webhook_url"] = c.solapi.webhook_url;
  json::array st;
  for (const auto& t : c.solapi.templates) {
    json::object o;
    o["template_id"] = t.id;
    o["content"] = t.content;
    write_buttons(o, t.buttons, true);
    st.push_back(std::move(o));
  }
  s["templates"] = std::move(st);
  root["solapi"] = std::move(s);
  json::object n;
  n["alimtalk_port"] = c.nhn.alimtalk_port;
  n["sms_port"] = c.nhn.sms_port;
  n["alimtalk_appkey"] = c.nhn.alimtalk_appkey;
  n["sms_appkey"] = c.nhn.sms_appkey;
  n["secret_key"] = c.nhn.secret_key;
  n["sender_key"] = c.nhn.sender_key;
  n["send_nos"] = to_array(c.nhn.send_nos);
  n["webhook_url"] = c.nhn.webhook_url;
  n["webhook_signature"] = c.nhn.webhook_signature;
  json::array nt;
  for (const auto& t : c.nhn.templates) {
    json::object o;
    o["template_code"] = t.id;
    o["content"] = t.content;
    write_buttons(o, t.buttons, false);
    nt.push_back(std::move(o));
  }
  n["templates"] = std::move(nt);
  root["nhn"] = std::move(n);
  return json::serialize(root);
}

}  // namespace jarip::sim
