// libFuzzer target for the configuration: app::Config::parse (jarip.toml), apply_environment
// (JARIP_* variables) and server_config (the typed, validated view the server starts from).
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Input: TOML text; if it contains a NUL byte, the bytes after the first NUL are environment
// variables, one NAME=value per line.
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - parse never throws: bad TOML is Error "config_invalid" whose message starts with the origin;
//  - parsing is deterministic: the same text gives the same tables twice;
//  - apply_environment either refuses a JARIP_* name that names no key (Error "config_invalid"
//    naming the variable) or stores the value under a key of a known table; variables outside
//    JARIP_* and JARIP_URL / JARIP_API_KEY / JARIP_CONFIG change nothing;
//  - the typed getters never throw, and server_config() either fails naming a key or returns values
//    within the documented ranges (port 0-65535, io_threads 1-64, sms_unencodable reject|replace).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "fuzz_support.hpp"

namespace {

using jarip::app::Config;

const char* const kOrigin = "fuzz.toml";

// The tables Config::apply_environment knows (keep in sync with src/app/config.cpp), besides providers.*.
const char* const kTables[] = {"server", "storage", "api", "delivery", "delivery.channels", "ads", "breaker", "caps",
                               "templates", "log", "webhooks"};

std::map<std::string, std::map<std::string, std::string>> snapshot(const Config& c) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const char* t : kTables) out[t] = c.table(t);
  for (auto& p : c.children("providers")) out["providers." + p] = c.table("providers." + p);
  return out;
}

std::map<std::string, std::string> parse_environment(const std::string& text) {
  std::map<std::string, std::string> env;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (auto eq = line.find('='); eq != std::string::npos && eq > 0) env[line.substr(0, eq)] = line.substr(eq + 1);
    start = end + 1;
  }
  return env;
}

std::string flat(std::string table) {
  std::replace(table.begin(), table.end(), '.', '_');
  std::replace(table.begin(), table.end(), '-', '_');
  return table;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void check_typed_view(const Config& c) {
  // Getters on present, absent and odd keys: errors are values, never exceptions.
  for (const char* key : {"server.port", "server.io_threads", "api.rate_per_key", "breaker.failure_ratio",
                          "delivery.default_chain", "no.such.key", ""}) {
    (void)c.get(key, "fallback");
    (void)c.get_int(key, 7);
    (void)c.get_double(key, 0.5);
    (void)c.get_bool(key, true);
    (void)c.get_list(key, {"x"});
  }
  auto s = jarip::app::server_config(c);
  if (!s) {
    check(s.error().code == "config_invalid" && !s.error().message.empty());
    return;
  }
  check(s->io_threads >= 1 && s->io_threads <= 64);
  check(s->delivery.sms_unencodable == "reject" || s->delivery.sms_unencodable == "replace");
  check(c.get_int("server.port", 8080).ok() && *c.get_int("server.port", 8080) == s->http.port);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string toml = input;
  std::map<std::string, std::string> env;
  if (auto nul = input.find('\0'); nul != std::string::npos) {
    toml = input.substr(0, nul);
    env = parse_environment(input.substr(nul + 1));
  }

  auto parsed = Config::parse(toml, kOrigin);
  if (!parsed) {
    check(parsed.error().code == "config_invalid");
    check(parsed.error().message.rfind(std::string(kOrigin) + ":", 0) == 0);
    return 0;
  }
  Config config = std::move(*parsed);
  auto twice = Config::parse(toml, kOrigin);
  check(twice.ok() && snapshot(*twice) == snapshot(config));
  check_typed_view(config);

  // Variables outside JARIP_* (and the CLI's own) change nothing.
  const auto before = snapshot(config);
  Config untouched = config;
  check(untouched.apply_environment({{"HOME", "/root"}, {"jarip_server_port", "1"}, {"JARIP_URL", "http://x"},
                                     {"JARIP_API_KEY", "jrp_0123456789ab_s"}, {"JARIP_CONFIG", "/etc/jarip.toml"}})
            .ok());
  check(snapshot(untouched) == before);

  if (env.empty()) return 0;
  std::set<std::string> tables(std::begin(kTables), std::end(kTables));
  for (auto& p : config.children("providers")) tables.insert("providers." + p);
  auto applied = config.apply_environment(env);
  if (!applied) {
    check(applied.error().code == "config_invalid");
    check(applied.error().message.find("JARIP_") != std::string::npos);
    return 0;
  }
  for (auto& [name, value] : env) {
    if (name.rfind("JARIP_", 0) != 0 || name == "JARIP_URL" || name == "JARIP_API_KEY" || name == "JARIP_CONFIG") continue;
    // Some known table T with JARIP_<flat(T)>_<rest>, where T.<rest> now holds the value.
    const std::string rest = lower(name.substr(6));
    bool found = false;
    for (auto& t : tables) {
      const std::string f = flat(t);
      if (rest.size() <= f.size() + 1 || rest.compare(0, f.size(), f) != 0 || rest[f.size()] != '_') continue;
      const std::string key = t + "." + rest.substr(f.size() + 1);
      if (config.has(key)) found = true;
    }
    check(found);
  }
  check_typed_view(config);
  return 0;
}
