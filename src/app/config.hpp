// jarip.toml, flattened to dotted keys ("server.port", "providers.nhn.secret_key"), with every key
// overridable by an environment variable (JARIP_SERVER_PORT, JARIP_PROVIDERS_NHN_SECRET_KEY) and
// every provider secret loadable from a file (secret_key_file = "/run/secrets/nhn").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "http/server.hpp"
#include "notify/api.hpp"
#include "notify/options.hpp"
#include "notify/webhooks.hpp"

namespace jarip::app {

struct ConfigValue {
  std::string text;                 // scalars as text
  std::vector<std::string> items;   // arrays of scalars
  bool is_array = false;
};

class Config {
 public:
  // Parses TOML text; `origin` names it in error messages.
  static Result<Config> parse(const std::string& toml_text, const std::string& origin);
  static Result<Config> load_file(const std::string& path);

  // Applies JARIP_* variables from `environment` (name → value).
  Status apply_environment(const std::map<std::string, std::string>& environment);
  // Replaces each providers.*.X_file by the trimmed content of that file as providers.*.X.
  Status resolve_secret_files();

  bool has(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback = {}) const;
  Result<long long> get_int(const std::string& key, long long fallback) const;
  // get_int bounded to [min, max]; out of range → config_invalid naming the key.
  Result<long long> get_int_in(const std::string& key, long long fallback, long long min, long long max) const;
  Result<double> get_double(const std::string& key, double fallback) const;
  Result<bool> get_bool(const std::string& key, bool fallback) const;
  std::vector<std::string> get_list(const std::string& key, const std::vector<std::string>& fallback) const;
  // Names of the tables under a prefix: children("providers") → {"nhn", "solapi"}.
  std::vector<std::string> children(const std::string& prefix) const;
  // Keys of one table, without the prefix.
  std::map<std::string, std::string> table(const std::string& prefix) const;

  void set(const std::string& key, const std::string& value) { values_[key] = ConfigValue{value, {}, false}; }

 private:
  std::map<std::string, ConfigValue> values_;
};

std::map<std::string, std::string> current_environment();

struct ServerConfig {
  http::ServerOptions http;
  int io_threads = 1;
  std::string data_dir;
  std::string storage_vfs;
  // PostgreSQL instead of SQLite when set (a libpq URI; passwords belong in ~/.pgpass or PGPASSFILE).
  std::string storage_url;
  int storage_readers = 2;
  int storage_connect_timeout_s = 3;
  std::int64_t storage_partition_days = 7;
  std::int64_t storage_keep_days = 0;
  std::string templates_dir;
  std::string log_level = "info";
  int shutdown_grace_s = 10;
  notify::ApiOptions api;
  notify::DeliveryOptions delivery;
  notify::WebhookOptions webhooks;
  // The customer's pages (portal/): where they are reached, and the key their links are signed
  // with (hex, 64 digits; empty: a key kept in data_dir/link-secret). Nodes of a cluster share both.
  std::string public_url;
  std::string link_secret;
  std::string merchant_name;
};

// Typed view with validation; errors name the key.
Result<ServerConfig> server_config(const Config& config);

}  // namespace jarip::app
