#include "app/cli.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "app/config.hpp"
#include "app/server_app.hpp"
#include "auth/api_keys.hpp"
#include "console/operators.hpp"
#include "channels/email/dkim.hpp"
#include "channels/webpush/vapid.hpp"
#include "http/client.hpp"
#include "store/sqlite_backup.hpp"
#include "text/kst.hpp"

namespace jarip::app {

namespace json = boost::json;

namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3;

const char* kUsageText = R"(usage: jarip <command> [options]

Server:
  serve   --config FILE            run the server (default config: ./jarip.toml if present)
  migrate --config FILE            create or upgrade the database schema, then exit

API keys (work on the database directly, also while the server runs):
  keys create --name NAME [--rate N] [--config FILE]
                                   print a new key once, on the last line of stdout;
                                   --rate: its own limit in requests/s (default: api.rate_per_key)
  keys list [--config FILE]
  keys revoke ID [--config FILE]

Console operators (work on the database directly, also while the server runs):
  operators create --email EMAIL --role owner|admin|agent|viewer [--name NAME] [--locale ko|en]
                   [--password-file FILE] [--config FILE]
                                   the password is read from FILE, else from the first line of stdin
                                   (never from the command line: it would show in ps and shell history)
  operators list [--config FILE]

Backups (SQLite, storage.data_dir/jarip.db; see docs/operations.md):
  backup --to PATH [--force] [--step-pages N] [--step-sleep-ms MS] [--config FILE]
                                   a consistent copy, made while the server runs; --force replaces PATH
  restore --from PATH [--force] [--config FILE]
                                   put a backup in place; jarip must be stopped; --force replaces the
                                   current database, kept as jarip.db.before-restore-<UTC time>

Keys for channels (print to stdout; nothing is stored):
  dkim keygen [--algorithm ed25519|rsa] [--selector S] [--domain D]
                                   a DKIM signing key and the DNS TXT record to publish
  webpush keygen                   a VAPID key pair for web push

Client (talk to a running server; --url or JARIP_URL, --key or JARIP_API_KEY):
  send --to PHONE (--template NAME [--var k=v]… | --text TEXT) [--kind info|ad] [--channels a,b] [--subject S]
  status ID
  channels

Exit codes: 0 ok, 1 refused by the server or storage, 2 usage or configuration error, 3 server unreachable.
)";

struct Args {
  std::map<std::string, std::vector<std::string>> options;
  std::vector<std::string> positional;
  std::string first(const std::string& name, const std::string& fallback = {}) const {
    auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.front();
  }
};

Args parse_args(const std::vector<std::string>& args, std::size_t from) {
  Args out;
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
        value = args[++i];
      }
      out.options[name].push_back(value);
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

Result<Config> load_config(const Args& args) {
  std::string path = args.first("config");
  if (path.empty()) {
    if (const char* env = std::getenv("JARIP_CONFIG")) path = env;
  }
  if (path.empty() && ::access("jarip.toml", R_OK) == 0) path = "jarip.toml";
  Result<Config> config = path.empty() ? Config::parse("", "(defaults)") : Config::load_file(path);
  if (!config) return config;
  if (auto s = config->apply_environment(current_environment()); !s) return s.error();
  if (auto s = config->resolve_secret_files(); !s) return s.error();
  return config;
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "jarip: %s\n", message.c_str());
  return code;
}

struct CallResult {
  int exit_code = kOk;
  int status = 0;
  std::string body;
};

CallResult call(const Args& args, const std::string& method, const std::string& path, const std::string& body) {
  std::string url = args.first("url", std::getenv("JARIP_URL") ? std::getenv("JARIP_URL") : "http://127.0.0.1:8080");
  std::string key = args.first("key", std::getenv("JARIP_API_KEY") ? std::getenv("JARIP_API_KEY") : "");
  if (key.empty()) {
    std::fprintf(stderr, "jarip: an API key is needed: --key or JARIP_API_KEY (make one with 'jarip keys create')\n");
    return {kUsage, 0, {}};
  }
  boost::asio::io_context io;
  http::HttpClient client(io.get_executor(), http::ClientOptions{1, 1000, true});
  http::ClientRequest req;
  req.method = method;
  req.url = url + path;
  req.headers.push_back({"Authorization", "Bearer " + key});
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  req.body = body;
  req.timeout_ms = 10000;
  http::ClientResult result;
  client.send(req, [&](http::ClientResult r) { result = std::move(r); });
  io.run();
  if (result.kind != http::ClientResult::Kind::response) {
    std::fprintf(stderr, "jarip: cannot reach %s: %s\n", url.c_str(), result.error.c_str());
    return {kUnreachable, 0, {}};
  }
  return {result.status >= 200 && result.status < 300 ? kOk : kRefused, result.status, result.body};
}

int print_result(const CallResult& r) {
  if (r.exit_code == kUsage || r.exit_code == kUnreachable) return r.exit_code;
  std::cout << r.body << "\n";
  if (r.exit_code != kOk) {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (!ec && v.is_object() && v.as_object().contains("error")) {
      auto& e = v.at("error").as_object();
      std::fprintf(stderr, "jarip: %d %s: %s\n", r.status, json::value_to<std::string>(e.at("code")).c_str(),
                   json::value_to<std::string>(e.at("message")).c_str());
    } else {
      std::fprintf(stderr, "jarip: server answered %d\n", r.status);
    }
  }
  return r.exit_code;
}

int cmd_operators(const std::vector<std::string>& argv) {
  if (argv.size() < 3) return fail(kUsage, "usage: jarip operators create --email EMAIL --role ROLE | list");
  std::string sub = argv[2];
  Args args = parse_args(argv, 3);
  auto config = load_config(args);
  if (!config) return fail(kUsage, config.error().message);
  SystemClock clock;
  if (sub == "create") {
    console::NewOperator input;
    input.email = args.first("email");
    input.role = args.first("role");
    input.name = args.first("name");
    if (std::string locale = args.first("locale"); !locale.empty()) input.locale = locale;
    if (input.email.empty() || input.role.empty()) return fail(kUsage, "operators create needs --email and --role");
    std::string file = args.first("password-file");
    if (!file.empty()) {
      std::ifstream in(file);
      if (!in) return fail(kUsage, "cannot read --password-file " + file);
      std::getline(in, input.password);
    } else {
      std::getline(std::cin, input.password);
    }
    if (!input.password.empty() && input.password.back() == '\r') input.password.pop_back();
    auto op = console::make_operator(input, clock.now_ms());
    if (!op) return fail(kUsage, op.error().message);
    auto store = open_store_for_admin(*config);
    if (!store) return fail(kRefused, store.error().message);
    Status s = (*store)->run_now([&](store::StoreSession& session) -> Status {
      if (auto st = session.insert_operator(*op); !st) {
        if (st.error().code == "conflict") return make_error("conflict", "an operator with email " + op->email + " exists already");
        return st;
      }
      store::AuditRecord audit{0, clock.now_ms(), "cli", "", "operator.create", op->email,
                               json::serialize(json::object{{"role", op->role}}), ""};
      return session.insert_audit(audit);
    });
    (*store)->stop();
    if (!s) return fail(kRefused, s.error().message);
    std::cout << "created operator " << op->email << " (" << op->role << ", id " << op->id << ")\n";
    return kOk;
  }
  if (sub == "list") {
    auto store = open_store_for_admin(*config);
    if (!store) return fail(kRefused, store.error().message);
    std::vector<store::OperatorRecord> list;
    Status s = (*store)->run_now([&](store::StoreSession& session) -> Status {
      auto rows = session.list_operators();
      if (!rows) return rows.error();
      list = std::move(*rows);
      return {};
    });
    (*store)->stop();
    if (!s) return fail(kRefused, s.error().message);
    for (auto& op : list) {
      std::cout << op.id << "\t" << op.email << "\t" << op.role << "\t" << (op.disabled_ms ? "disabled" : "active")
                << "\t" << (op.totp_secret.empty() ? "password" : "password+totp") << "\n";
    }
    return kOk;
  }
  return fail(kUsage, "unknown operators command '" + sub + "'");
}

int cmd_keys(const std::vector<std::string>& argv) {
  if (argv.size() < 3) return fail(kUsage, "usage: jarip keys create --name NAME | list | revoke ID");
  std::string sub = argv[2];
  Args args = parse_args(argv, 3);
  auto config = load_config(args);
  if (!config) return fail(kUsage, config.error().message);
  auto store = open_store_for_admin(*config);
  if (!store) return fail(kRefused, store.error().message);
  SystemClock clock;
  int code = kOk;
  if (sub == "create") {
    std::string name = args.first("name");
    if (name.empty()) return fail(kUsage, "keys create needs --name NAME");
    double rate = 0;
    if (std::string text = args.first("rate"); !text.empty()) {
      char* end = nullptr;
      rate = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(rate > 0)) {
        return fail(kUsage, "--rate is a positive number of requests per second, e.g. --rate 50");
      }
    }
    std::optional<auth::NewApiKey> created;
    Status s = (*store)->run_now([&](store::StoreSession& session) -> Status {
      auto k = auth::create_api_key(session, name, clock.now_ms(), rate);
      if (!k) return k.error();
      created = std::move(*k);
      return {};
    });
    if (!s) return fail(kRefused, s.error().message);
    std::fprintf(stderr, "created API key %s (%s); it is shown once:\n", created->record.id.c_str(), name.c_str());
    std::cout << created->token << std::endl;
  } else if (sub == "list") {
    std::vector<store::ApiKeyRecord> keys;
    Status s = (*store)->run_now([&](store::StoreSession& session) -> Status {
      auto list = session.list_api_keys();
      if (!list) return list.error();
      keys = std::move(*list);
      return {};
    });
    if (!s) return fail(kRefused, s.error().message);
    for (auto& k : keys) {
      std::cout << k.id << "\t" << k.name << "\t" << text::format_kst(k.created_ms) << "\t"
                << (k.revoked_ms ? "revoked " + text::format_kst(k.revoked_ms) : std::string("active")) << "\t"
                << (k.rate_per_s > 0 ? std::to_string(k.rate_per_s) + "/s" : std::string("default rate")) << "\n";
    }
  } else if (sub == "revoke") {
    if (args.positional.empty()) return fail(kUsage, "keys revoke needs the key id (see 'jarip keys list')");
    std::string id = args.positional.front();
    Status s = (*store)->run_now([&](store::StoreSession& session) { return session.revoke_api_key(id, clock.now_ms()); });
    if (!s) return fail(kRefused, s.error().message);
    std::cout << "revoked " << id << "\n";
  } else {
    code = fail(kUsage, "unknown keys command '" + sub + "'");
  }
  (*store)->stop();
  return code;
}

int cmd_backup_restore(const std::string& command, const Args& args) {
  auto config = load_config(args);
  if (!config) return fail(kUsage, config.error().message);
  if (!config->get("storage.url").empty()) {
    return fail(kUsage, command + " is for SQLite; with storage.url (PostgreSQL) use pg_dump or pg_basebackup");
  }
  auto sc = server_config(*config);
  if (!sc) return fail(kUsage, sc.error().message);
  std::string db = (std::filesystem::path(sc->data_dir) / "jarip.db").string();
  bool force = args.options.count("force") > 0;
  if (command == "restore") {
    std::string from = args.first("from");
    if (from.empty()) return fail(kUsage, "restore needs --from PATH (a file made by 'jarip backup')");
    auto r = store::restore_sqlite(db, from, store::RestoreOptions{force});
    if (!r) return fail(kRefused, r.error().code + ": " + r.error().message);
    std::printf("restored %s into %s: %lld bytes, schema version %d\n", from.c_str(), db.c_str(),
                static_cast<long long>(r->bytes), r->schema_version);
    if (!r->previous.empty()) std::printf("the previous database is kept as %s\n", r->previous.c_str());
    return kOk;
  }
  std::string to = args.first("to");
  if (to.empty()) return fail(kUsage, "backup needs --to PATH");
  store::BackupOptions options;
  options.force = force;
  std::pair<const char*, int*> knobs[] = {{"step-pages", &options.pages_per_step},
                                          {"step-sleep-ms", &options.sleep_ms}};
  for (auto [name, target] : knobs) {
    std::string text = args.first(name);
    if (text.empty()) continue;
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || value < 1 || value > 1000000) {
      return fail(kUsage, std::string("--") + name + " is a whole number from 1");
    }
    *target = static_cast<int>(value);
  }
  auto r = store::backup_sqlite(db, to, options);
  if (!r) return fail(kRefused, r.error().code + ": " + r.error().message);
  std::printf("backup of %s written to %s: %lld pages, %lld bytes, %.2f s, schema version %d\n", db.c_str(),
              to.c_str(), static_cast<long long>(r->pages), static_cast<long long>(r->bytes), r->seconds,
              r->schema_version);
  return kOk;
}

int cmd_send(const Args& args) {
  json::object msg;
  std::string to = args.first("to");
  if (to.empty()) return fail(kUsage, "send needs --to PHONE");
  msg["recipient"] = json::object{{"phone", to}};
  std::string tpl = args.first("template"), text = args.first("text");
  if (tpl.empty() == text.empty()) return fail(kUsage, "send needs exactly one of --template NAME or --text TEXT");
  if (!tpl.empty()) {
    msg["template"] = tpl;
    json::object vars;
    auto it = args.options.find("var");
    if (it != args.options.end()) {
      for (auto& kv : it->second) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) return fail(kUsage, "--var takes NAME=VALUE, not '" + kv + "'");
        vars[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    }
    msg["vars"] = std::move(vars);
  } else {
    msg["text"] = text;
  }
  if (auto k = args.first("kind"); !k.empty()) msg["kind"] = k;
  if (auto s = args.first("subject"); !s.empty()) msg["subject"] = s;
  if (auto c = args.first("channels"); !c.empty()) {
    json::array chain;
    std::size_t start = 0;
    while (start <= c.size()) {
      auto comma = c.find(',', start);
      std::string step = c.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!step.empty()) chain.emplace_back(step);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    msg["channels"] = std::move(chain);
  }
  return print_result(call(args, "POST", "/v1/messages", json::serialize(msg)));
}

// The private key goes to stdout only, for the operator to put in a secrets file; the record is
// what the domain's DNS must publish before any signed mail goes out.
int cmd_dkim(const std::vector<std::string>& argv, const Args& args) {
  if (argv.size() < 3 || argv[2] != "keygen") return fail(kUsage, "usage: jarip dkim keygen [--algorithm ed25519|rsa]");
  std::string algorithm = args.first("algorithm");
  if (algorithm.empty()) algorithm = "ed25519";
  if (algorithm != "ed25519" && algorithm != "rsa") return fail(kUsage, "--algorithm is ed25519 or rsa");
  std::string selector = args.first("selector");
  if (selector.empty()) selector = "jarip";
  std::string domain = args.first("domain");
  if (domain.empty()) domain = "example.com";
  auto key = channels::email::generate_dkim_key(algorithm == "rsa" ? channels::email::DkimAlgorithm::rsa_sha256
                                                                   : channels::email::DkimAlgorithm::ed25519_sha256);
  if (!key) return fail(kRefused, key.error().message);
  std::cout << "# DNS: publish this TXT record\n"
            << selector << "._domainkey." << domain << ". IN TXT " << channels::email::zone_file_txt(key->dns_record)
            << "\n\n# private key (keep it secret; put it in the file named by the email provider's dkim_key_file)\n"
            << key->private_key << (key->private_key.empty() || key->private_key.back() == '\n' ? "" : "\n");
  // RSA keys are much longer records; many DNS panels want them pasted as one string.
  if (algorithm == "rsa") std::cerr << "record as one string: " << key->dns_record << "\n";
  return kOk;
}

int cmd_webpush(const std::vector<std::string>& argv) {
  if (argv.size() < 3 || argv[2] != "keygen") return fail(kUsage, "usage: jarip webpush keygen");
  auto keys = channels::webpush::VapidKeys::generate();
  if (!keys) return fail(kRefused, keys.error().message);
  std::cout << "public_key = \"" << keys->public_key_base64url() << "\"   # the site's applicationServerKey\n"
            << "private_key = \"" << keys->private_key_base64url() << "\"  # secret: keep it in a *_file\n";
  return kOk;
}

}  // namespace

int run_cli(const std::vector<std::string>& argv) {
  if (argv.size() < 2 || argv[1] == "--help" || argv[1] == "-h" || argv[1] == "help") {
    std::fputs(kUsageText, argv.size() < 2 ? stderr : stdout);
    return argv.size() < 2 ? kUsage : kOk;
  }
  const std::string& command = argv[1];
  if (command == "keys") return cmd_keys(argv);
  if (command == "operators") return cmd_operators(argv);
  Args args = parse_args(argv, 2);
  if (command == "backup" || command == "restore") return cmd_backup_restore(command, args);
  if (command == "serve" || command == "migrate") {
    auto config = load_config(args);
    if (!config) return fail(kUsage, config.error().message);
    if (command == "serve") return run_server(*config);
    auto store = open_store_for_admin(*config);  // opening migrates
    if (!store) return fail(kRefused, store.error().message);
    (*store)->stop();
    std::cout << "database schema is up to date\n";
    return kOk;
  }
  if (command == "dkim") return cmd_dkim(argv, args);
  if (command == "webpush") return cmd_webpush(argv);
  if (command == "send") return cmd_send(args);
  if (command == "status") {
    if (args.positional.empty()) return fail(kUsage, "status needs a message id");
    return print_result(call(args, "GET", "/v1/messages/" + args.positional.front(), ""));
  }
  if (command == "channels") return print_result(call(args, "GET", "/v1/channels", ""));
  if (command == "version" || command == "--version") {
    std::cout << "jarip 0.1.0\n";
    return kOk;
  }
  return fail(kUsage, "unknown command '" + command + "' (see 'jarip --help')");
}

}  // namespace jarip::app
