#include "app/config.hpp"

#include <toml++/toml.h>

#include "common/standard_webhooks.hpp"

#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace jarip::app {

namespace {

void flatten(const toml::table& table, const std::string& prefix, std::map<std::string, ConfigValue>& out) {
  for (auto&& [key, node] : table) {
    std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (auto* t = node.as_table()) {
      flatten(*t, path, out);
    } else if (auto* a = node.as_array()) {
      ConfigValue v;
      v.is_array = true;
      for (auto&& item : *a) {
        if (auto s = item.value<std::string>()) v.items.push_back(*s);
        else if (auto i = item.value<long long>()) v.items.push_back(std::to_string(*i));
        else if (auto d = item.value<double>()) v.items.push_back(std::to_string(*d));
        else if (auto b = item.value<bool>()) v.items.push_back(*b ? "true" : "false");
      }
      out[path] = std::move(v);
    } else if (auto s = node.value<std::string>()) {
      out[path] = ConfigValue{*s, {}, false};
    } else if (node.is_integer()) {
      out[path] = ConfigValue{std::to_string(*node.value<long long>()), {}, false};
    } else if (node.is_floating_point()) {
      std::ostringstream os;
      os << *node.value<double>();
      out[path] = ConfigValue{os.str(), {}, false};
    } else if (node.is_boolean()) {
      out[path] = ConfigValue{*node.value<bool>() ? "true" : "false", {}, false};
    }
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

Result<Config> Config::parse(const std::string& text, const std::string& origin) {
  // toml++ reports syntax errors by exception in Debian's build; it stops here, at the boundary.
  try {
    toml::table table = toml::parse(text, origin);
    Config c;
    flatten(table, "", c.values_);
    return c;
  } catch (const toml::parse_error& err) {
    return make_error("config_invalid", origin + ":" + std::to_string(err.source().begin.line) + ": " +
                                            std::string(err.description()));
  }
}

Result<Config> Config::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("config_missing", "cannot read configuration file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Status Config::apply_environment(const std::map<std::string, std::string>& environment) {
  // Known table prefixes, longest first, so that JARIP_DELIVERY_CHANNELS_SMS finds delivery.channels.
  std::set<std::string> tables = {"server", "storage", "api", "delivery", "delivery.channels", "ads", "breaker",
                                  "caps", "templates", "log", "webhooks", "public", "consent", "webpush"};
  for (auto& p : children("providers")) tables.insert("providers." + p);
  std::vector<std::string> ordered(tables.begin(), tables.end());
  std::sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
  for (auto& [name, value] : environment) {
    if (name.rfind("JARIP_", 0) != 0 || name == "JARIP_URL" || name == "JARIP_API_KEY" || name == "JARIP_CONFIG") continue;
    std::string rest = name.substr(6);
    for (auto& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool matched = false;
    for (auto& table : ordered) {
      std::string flat = table;
      std::replace(flat.begin(), flat.end(), '.', '_');
      std::replace(flat.begin(), flat.end(), '-', '_');
      if (rest.size() > flat.size() + 1 && rest.compare(0, flat.size(), flat) == 0 && rest[flat.size()] == '_') {
        std::string key = table + "." + rest.substr(flat.size() + 1);
        auto it = values_.find(key);
        if (it != values_.end() && it->second.is_array) {
          values_[key] = ConfigValue{{}, split_list(value), true};
        } else {
          values_[key] = ConfigValue{value, {}, false};
        }
        matched = true;
        break;
      }
    }
    if (!matched) {
      return make_error("config_invalid", "environment variable " + name +
                                              " names no configuration key (JARIP_<TABLE>_<KEY>, e.g. JARIP_SERVER_PORT)");
    }
  }
  return {};
}

Status Config::resolve_secret_files() {
  std::vector<std::pair<std::string, std::string>> loaded;
  for (auto& [key, value] : values_) {
    if (key.rfind("providers.", 0) != 0 && key.rfind("webhooks.", 0) != 0) continue;
    if (key.size() < 6 || key.compare(key.size() - 5, 5, "_file") != 0) continue;
    std::ifstream in(value.text);
    if (!in) return make_error("config_invalid", "cannot read secret file '" + value.text + "' given by " + key, key);
    std::stringstream ss;
    ss << in.rdbuf();
    loaded.emplace_back(key.substr(0, key.size() - 5), trim(ss.str()));
  }
  for (auto& [k, v] : loaded) values_[k] = ConfigValue{v, {}, false};
  return {};
}

bool Config::has(const std::string& key) const { return values_.count(key) > 0; }

std::string Config::get(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() || it->second.is_array ? fallback : it->second.text;
}

Result<long long> Config::get_int(const std::string& key, long long fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  try {
    std::size_t used = 0;
    long long v = std::stoll(it->second.text, &used);
    if (used != it->second.text.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (...) {
    return make_error("config_invalid", key + " must be an integer, not '" + it->second.text + "'", key);
  }
}

Result<long long> Config::get_int_in(const std::string& key, long long fallback, long long min, long long max) const {
  auto v = get_int(key, fallback);
  if (!v) return v;
  if (*v < min || *v > max) {
    return make_error("config_invalid", key + " must be between " + std::to_string(min) + " and " + std::to_string(max), key);
  }
  return v;
}

Result<double> Config::get_double(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  try {
    std::size_t used = 0;
    double v = std::stod(it->second.text, &used);
    if (used != it->second.text.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (...) {
    return make_error("config_invalid", key + " must be a number, not '" + it->second.text + "'", key);
  }
}

Result<bool> Config::get_bool(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (it->second.text == "true" || it->second.text == "1") return true;
  if (it->second.text == "false" || it->second.text == "0") return false;
  return make_error("config_invalid", key + " must be true or false", key);
}

std::vector<std::string> Config::get_list(const std::string& key, const std::vector<std::string>& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (it->second.is_array) return it->second.items;
  return split_list(it->second.text);
}

std::vector<std::string> Config::children(const std::string& prefix) const {
  std::set<std::string> names;
  std::string p = prefix + ".";
  for (auto& [key, v] : values_) {
    if (key.rfind(p, 0) == 0) {
      std::string rest = key.substr(p.size());
      auto dot = rest.find('.');
      if (dot != std::string::npos) names.insert(rest.substr(0, dot));
    }
  }
  return {names.begin(), names.end()};
}

std::map<std::string, std::string> Config::table(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  std::string p = prefix + ".";
  for (auto& entry : values_) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::string& key = entry.first;
    const ConfigValue& v = entry.second;
    if (key.rfind(p, 0) == 0 && key.find('.', p.size()) == std::string::npos) {
      out[key.substr(p.size())] = v.is_array ? [&] {
        std::string joined;
        for (auto& i : v.items) joined += (joined.empty() ? "" : ",") + i;
        return joined;
      }() : v.text;
    }
  }
  return out;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Result<ServerConfig> server_config(const Config& c) {
  ServerConfig s;
  s.http.host = c.get("server.host", "127.0.0.1");
  long long port;
  JARIP_TRY_ASSIGN(port, c.get_int("server.port", 8080));
  if (port < 0 || port > 65535) return make_error("config_invalid", "server.port must be 0-65535", "server.port");
  s.http.port = static_cast<std::uint16_t>(port);
  s.http.tls_cert_file = c.get("server.tls_cert_file");
  s.http.tls_key_file = c.get("server.tls_key_file");
  long long v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("server.io_threads", 1, 1, 64));
  if (v < 1 || v > 64) return make_error("config_invalid", "server.io_threads must be 1-64", "server.io_threads");
  s.io_threads = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("server.shutdown_grace_s", 10, 0, 3600));
  s.shutdown_grace_s = static_cast<int>(v);
  s.data_dir = c.get("storage.data_dir", "./.jarip-data");
  s.storage_vfs = c.get("storage.vfs");
  s.storage_url = c.get("storage.url");
  if (!s.storage_url.empty() && s.storage_url.rfind("postgresql://", 0) != 0 && s.storage_url.rfind("postgres://", 0) != 0) {
    return make_error("config_invalid",
                      "storage.url must be a PostgreSQL URL such as postgresql://jarip@db1:5432,db2:5432/jarip?"
                      "target_session_attrs=read-write (leave it out for SQLite)",
                      "storage.url");
  }
  if (!s.storage_url.empty() && !s.storage_vfs.empty()) {
    return make_error("config_invalid", "storage.vfs applies to SQLite only; remove it or storage.url", "storage.vfs");
  }
  JARIP_TRY_ASSIGN(v, c.get_int_in("storage.readers", 2, 1, 16));
  s.storage_readers = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("storage.connect_timeout_s", 3, 1, 60));
  s.storage_connect_timeout_s = static_cast<int>(v);
  JARIP_TRY_ASSIGN(s.storage_partition_days, c.get_int_in("storage.partition_days", 7, 1, 366));
  JARIP_TRY_ASSIGN(s.storage_keep_days, c.get_int_in("storage.keep_days", 0, 0, 36500));
  s.templates_dir = c.get("templates.dir");
  s.log_level = c.get("log.level", "info");
  JARIP_TRY_ASSIGN(s.api.rate_per_key, c.get_double("api.rate_per_key", 0));

  auto& d = s.delivery;
  d.default_chain = c.get_list("delivery.default_chain", d.default_chain);
  for (auto& channel : c.children("delivery")) (void)channel;
  for (auto& [channel, providers] : c.table("delivery.channels")) {
    d.channel_providers[channel] = c.get_list("delivery.channels." + channel, {});
  }
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.report_deadline_s", 30, 1, 7 * 86400));
  d.report_deadline_ms = v * 1000;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.report_deadline_ms", d.report_deadline_ms, 0, 7LL * 86400 * 1000));
  if (v < 100) return make_error("config_invalid", "the report deadline must be at least 100 ms", "delivery.report_deadline_ms");
  d.report_deadline_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.max_step_attempts", d.max_step_attempts, 1, 100));
  d.max_step_attempts = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.settle_after_ms", d.settle_after_ms, 0, 3'600'000));
  d.settle_after_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.retry_base_ms", d.retry_base_ms, 1, 3'600'000));
  d.retry_base_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.retry_cap_ms", d.retry_cap_ms, 1, 86'400'000));
  d.retry_cap_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.lease_s", 60, 2, 86400));
  d.lease_ms = v * 1000;
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.max_active", d.max_active, 1, 10'000'000));
  d.max_active = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("delivery.retention_days", 30, 1, 36500));
  d.retention_ms = v * 24 * 3600 * 1000;
  d.sms_unencodable = c.get("delivery.sms_unencodable", "reject");
  if (d.sms_unencodable != "reject" && d.sms_unencodable != "replace") {
    return make_error("config_invalid", "delivery.sms_unencodable must be \"reject\" or \"replace\"", "delivery.sms_unencodable");
  }
  s.public_url = c.get("public.url");
  if (s.public_url.empty()) {
    std::string host = s.http.host.empty() || s.http.host == "0.0.0.0" ? "127.0.0.1" : s.http.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    s.public_url = (s.http.tls_cert_file.empty() ? "http://" : "https://") + host + ":" + std::to_string(s.http.port);
  }
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  if (s.public_url.rfind("https://", 0) != 0 && s.public_url.rfind("http://", 0) != 0) {
    return make_error("config_invalid", "public.url must be an http(s) URL such as https://n.example.kr", "public.url");
  }
  s.link_secret = c.get("public.link_secret");
  s.merchant_name = c.get("public.merchant_name", c.get("ads.sender_name"));
  d.ads.sender_name = c.get("ads.sender_name");
  d.ads.opt_out_number = c.get("ads.opt_out_number");
  auto& b = d.breaker;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.stall_min_ms", d.stall_min_ms, 10, 3'600'000));
  d.stall_min_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.stall_latency_factor", d.stall_latency_factor, 1, 1000));
  d.stall_latency_factor = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.window_ms", b.window_ms, 100, 3'600'000));
  b.window_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.min_requests", b.min_requests, 1, 1'000'000));
  b.min_requests = static_cast<int>(v);
  JARIP_TRY_ASSIGN(b.failure_ratio, c.get_double("breaker.failure_ratio", b.failure_ratio));
  if (!(b.failure_ratio > 0 && b.failure_ratio <= 1)) {
    return make_error("config_invalid", "breaker.failure_ratio must be in (0, 1]", "breaker.failure_ratio");
  }
  if (b.max_open_ms < b.open_ms) b.max_open_ms = b.open_ms;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.consecutive_failures", b.consecutive_failures, 1, 1'000'000));
  b.consecutive_failures = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.open_ms", b.open_ms, 1, 86'400'000));
  b.open_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.max_open_ms", b.max_open_ms, 1, 86'400'000));
  b.max_open_ms = v;
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.half_open_probes", b.half_open_probes, 1, 1000));
  b.half_open_probes = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("breaker.probes_to_close", b.probes_to_close, 1, 1000));
  b.probes_to_close = static_cast<int>(v);
  b.probe_report_timeout_ms = d.report_deadline_ms;
  for (auto& [channel, cap] : c.table("caps")) {
    double krw;
    JARIP_TRY_ASSIGN(krw, c.get_double("caps." + channel, 0));
    d.daily_cap_krw[channel] = krw;
  }
  s.webhooks.url = c.get("webhooks.url");
  s.webhooks.secret = c.get("webhooks.secret");
  JARIP_TRY_ASSIGN(v, c.get_int_in("webhooks.timeout_ms", s.webhooks.timeout_ms, 1, 600'000));
  s.webhooks.timeout_ms = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("webhooks.max_attempts", s.webhooks.max_attempts, 1, 100'000));
  s.webhooks.max_attempts = static_cast<int>(v);
  JARIP_TRY_ASSIGN(v, c.get_int_in("webhooks.retry_base_ms", s.webhooks.retry_base_ms, 1, 86'400'000));
  s.webhooks.retry_base_ms = v;
  if (s.webhooks.enabled()) {
    if (s.webhooks.url.rfind("http://", 0) != 0 && s.webhooks.url.rfind("https://", 0) != 0) {
      return make_error("config_invalid", "webhooks.url must be an http:// or https:// URL", "webhooks.url");
    }
    if (auto key = standard_webhooks::decode_secret(s.webhooks.secret); !key || s.webhooks.secret.rfind("whsec_", 0) != 0) {
      return make_error("config_invalid", "webhooks.secret must be a Standard Webhooks secret \"whsec_<base64>\" "
                                          "(e.g. from: openssl rand -base64 32)", "webhooks.secret");
    }
  }
  d.webhooks = s.webhooks.enabled();
  return s;
}

}  // namespace jarip::app
