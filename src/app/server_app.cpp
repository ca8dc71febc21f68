#include "app/server_app.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "alerts/staff_alerts.hpp"
#include "auth/api_keys.hpp"
#include "channels/registry.hpp"
#include "channels/transport.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "console/board.hpp"
#include "console/console.hpp"
#include "http/server.hpp"
#include "notify/api.hpp"
#include "notify/engine.hpp"
#include "notify/push_subscriptions.hpp"
#include "notify/reconfirm_job.hpp"
#include "notify/webhooks.hpp"
#include "portal/link_tokens.hpp"
#include "portal/portal.hpp"
#include "portal/push_routes.hpp"
#include "portal/short_links.hpp"
#include "store/powercut_vfs.hpp"
#include "status/service.hpp"
#include "status/status.hpp"
#include "store/store.hpp"

namespace jarip::app {

namespace asio = boost::asio;

namespace {

Result<std::unique_ptr<store::Store>> open_store(const ServerConfig& sc, bool exclusive) {
  if (!sc.storage_url.empty()) {
    store::PostgresOptions options;
    options.url = sc.storage_url;
    options.readers = exclusive ? sc.storage_readers : 1;  // an admin command needs one
    options.connect_timeout_s = sc.storage_connect_timeout_s;
    options.partition_days = sc.storage_partition_days;
    options.keep_days = sc.storage_keep_days;
    return store::open_postgres_store(options);
  }
  std::error_code ec;
  std::filesystem::create_directories(sc.data_dir, ec);
  if (ec) return make_error("storage_open_failed", "cannot create data directory '" + sc.data_dir + "': " + ec.message());
  if (sc.storage_vfs == "jarip-powercut") {
    if (auto s = store::register_powercut_vfs(); !s) return s.error();
  } else if (!sc.storage_vfs.empty()) {
    return make_error("config_invalid", "storage.vfs must be empty or \"jarip-powercut\"", "storage.vfs");
  }
  store::SqliteOptions options;
  options.path = (std::filesystem::path(sc.data_dir) / "jarip.db").string();
  options.vfs = sc.storage_vfs;
  options.exclusive = exclusive;
  return store::open_sqlite_store(options);
}

constexpr channels::SendKind kChainKinds[] = {channels::SendKind::alimtalk, channels::SendKind::sms,
                                               channels::SendKind::email, channels::SendKind::push,
                                               channels::SendKind::inbox};

Result<std::vector<notify::ProviderRuntime>> build_providers(const Config& config, const channels::TransportEnv& env) {
  std::vector<notify::ProviderRuntime> out;
  std::vector<std::string> names = config.children("providers");
  bool has_inbox = false;
  for (auto& name : names) has_inbox = has_inbox || config.get("providers." + name + ".type", name) == "inbox";
  // The inbox depends on no one and needs no settings: every server has one.
  if (!has_inbox && std::find(names.begin(), names.end(), "inbox") == names.end()) names.push_back("inbox");
  for (auto& name : names) {
    std::string prefix = "providers." + name;
    channels::ProviderSettings settings;
    settings.name = name;
    settings.type = config.get(prefix + ".type", name);
    settings.values = config.table(prefix);
    auto adapter = channels::make_adapter(settings);
    if (!adapter) return adapter.error();
    notify::ProviderRuntime rt;
    rt.name = name;
    rt.adapter = std::shared_ptr<const channels::ProviderAdapter>(std::move(*adapter));
    auto transport = channels::make_transport(settings, env);
    if (!transport) return transport.error();
    rt.transport = std::move(*transport);
    rt.channels = config.get_list(prefix + ".channels", {});
    if (rt.channels.empty()) {
      for (auto kind : kChainKinds) {
        if (rt.adapter->supports(kind)) rt.channels.emplace_back(channels::channel_of(kind));
      }
    }
    auto timeout = config.get_int_in(prefix + ".timeout_ms", 3000, 1, 600000);
    if (!timeout) return timeout.error();
    rt.timeout_ms = static_cast<int>(*timeout);
    auto rate = config.get_double(prefix + ".rate_per_s", 0);
    if (!rate) return rate.error();
    rt.rate_per_s = *rate;
    auto conc = config.get_int_in(prefix + ".max_concurrency", 32, 1, 10000);
    if (!conc) return conc.error();
    rt.max_concurrency = static_cast<int>(*conc);
    for (const char* kind : {"alimtalk", "sms", "lms", "email", "push"}) {
      auto price = config.get_double(prefix + ".price_" + std::string(kind), 0);
      if (!price) return price.error();
      rt.price[kind] = *price;
    }
    out.push_back(std::move(rt));
  }
  return out;
}

Status load_template_files(notify::Api& api, const std::string& dir) {
  if (dir.empty()) return {};
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return make_error("config_invalid", "templates.dir '" + dir + "' is not a directory", "templates.dir");
  }
  for (auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string name = entry.path().stem().string();
    auto t = notify::parse_template(name, ss.str());
    if (!t) {
      return make_error(t.error().code, entry.path().string() + ": " + t.error().message, t.error().field);
    }
    if (auto s = api.put_template_now(*t, ss.str()); !s) return s;
  }
  return {};
}

std::string make_node_id() {
  char host[64] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + crypto::random_hex(3);
}

}  // namespace

Result<std::unique_ptr<store::Store>> open_store_for_admin(const Config& config) {
  auto sc = server_config(config);
  if (!sc) return sc.error();
  return open_store(*sc, false);
}

int run_server(const Config& config) {
  auto sc_result = server_config(config);
  if (!sc_result) {
    log::error("invalid configuration", {{"error", sc_result.error().message}, {"field", sc_result.error().field}});
    return 2;
  }
  ServerConfig sc = std::move(*sc_result);
  log::Level level;
  if (log::parse_level(sc.log_level, level)) log::set_level(level);

  asio::io_context engine_io(1);
  channels::TransportEnv transport_env;
  transport_env.executor = engine_io.get_executor();
  // Tests and the simulator only: push endpoints on loopback/private addresses.
  transport_env.allow_private_endpoints = config.get("webpush.allow_private_endpoints", "false") == "true";
  sc.api.push.allow_private_endpoints = transport_env.allow_private_endpoints;
  // Set once the store is open; push sends (which call this) start after that.
  store::Store* subscriptions_store = nullptr;
  SystemClock clock;
  transport_env.on_push_subscription_gone = [&subscriptions_store, &clock](const std::string& customer_id,
                                                                           const std::string& endpoint) {
    if (!subscriptions_store) return;
    TimeMs now = clock.now_ms();
    subscriptions_store->write(
        [customer_id, endpoint, now](store::StoreSession& s) -> Status {
          auto removed = notify::remove_push_subscription(s, customer_id, endpoint, now);
          return removed ? Status{} : Status(removed.error());
        },
        [customer_id](Status st) {
          if (st) log::info("push subscription removed: the push service says it is gone", {{"customer", customer_id}});
          else log::warn("could not remove a gone push subscription", {{"customer", customer_id}, {"error", st.error().message}});
        });
  };
  auto providers = build_providers(config, transport_env);
  if (!providers) {
    log::error("invalid provider configuration", {{"error", providers.error().message}, {"field", providers.error().field}});
    return 2;
  }
  // A channel without its own provider order takes every provider serving it, in name order (the
  // built-in inbox last).
  for (auto kind : kChainKinds) {
    std::string channel(channels::channel_of(kind));
    auto& order = sc.delivery.channel_providers[channel];
    if (!order.empty()) continue;
    for (auto& p : *providers) {
      if (std::find(p.channels.begin(), p.channels.end(), channel) != p.channels.end()) order.push_back(p.name);
    }
    if (order.empty()) sc.delivery.channel_providers.erase(channel);
  }
  for (auto& [channel, names] : sc.delivery.channel_providers) {
    for (auto& n : names) {
      bool found = false;
      for (auto& p : *providers) found = found || p.name == n;
      if (!found) {
        log::error("invalid configuration", {{"error", "delivery.channels." + channel + " names unknown provider '" + n + "'"}});
        return 2;
      }
    }
  }
  auto store = open_store(sc, true);
  if (!store) {
    log::error("cannot open storage", {{"error", store.error().message}, {"code", store.error().code}});
    return 1;
  }

  subscriptions_store = store->get();
  MetricsRegistry metrics;

  // The customer's pages and the signed links to them that messages carry.
  if (sc.link_secret.empty() && (*store)->shared()) {
    // A key kept in one node's data_dir would make every other node's links invalid there.
    log::error("invalid configuration", {{"error", "with storage.url, set public.link_secret (the same 64 hex digits on "
                                                   "every node; `openssl rand -hex 32` makes one)"},
                                         {"field", "public.link_secret"}});
    return 2;
  }
  auto signer = sc.link_secret.empty()
                    ? portal::load_or_create_link_secret((std::filesystem::path(sc.data_dir) / "link-secret").string())
                    : portal::LinkSigner::from_hex(sc.link_secret);
  if (!signer) {
    log::error("invalid configuration", {{"error", signer.error().message}, {"field", "public.link_secret"}});
    return 2;
  }
  portal::PortalOptions portal_options;
  portal_options.public_url = sc.public_url;
  portal_options.merchant_name = sc.merchant_name;
  auto links = std::make_shared<const portal::PortalLinks>(*signer, portal_options);
  sc.delivery.unsubscribe_link = [links, &clock](const std::string& customer_id, const std::string& channel) {
    return links->unsubscribe(customer_id, channel, clock.now_ms());
  };
  sc.delivery.inbox_link = [links, &clock](const std::string& customer_id) {
    return links->inbox(customer_id, clock.now_ms());
  };
  sc.delivery.unsubscribe_address_link = [links, &clock](const std::string& address) {
    return links->unsubscribe_address(address, clock.now_ms());
  };
  // Short links only make sense where customers can reach the server: on by default once public.url
  // names it.
  if (config.get("public.shorten_sms_links", config.get("public.url").empty() ? "false" : "true") == "true") {
    sc.delivery.shorten_sms_links = [public_url = sc.public_url](const std::string& text, const std::string& message_id,
                                                                TimeMs now, std::vector<store::ShortLinkRecord>& out) {
      auto shortened = portal::shorten_links(text, public_url, message_id, now, [] { return portal::new_short_code(); });
      for (auto& link : shortened.links) out.push_back(std::move(link));
      return std::move(shortened.text);
    };
  }
  asio::io_context server_io(sc.io_threads);
  std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> adapters;
  for (auto& p : *providers) adapters[p.name] = p.adapter;

  notify::Engine engine(engine_io, **store, clock, sc.delivery, *providers, metrics, make_node_id());
  notify::WebhookDispatcher webhooks(engine_io, **store, clock, sc.webhooks, metrics);
  auth::ApiKeyVerifier keys(**store, clock);
  notify::Api api(**store, engine, keys, clock, metrics, adapters, sc.api);
  if (auto s = api.load_templates(); !s) {
    log::error("cannot load templates", {{"error", s.error().message}});
    return 1;
  }
  if (auto s = load_template_files(api, sc.templates_dir); !s) {
    log::error("cannot load template files", {{"error", s.error().message}});
    return 2;
  }
  auto notices = std::make_shared<const notify::ConsentNotices>(api.consent_notices());
  engine.set_consent_notices(notices);
  portal_options.wake = notices->wake;
  portal::Portal customer_pages(**store, clock, *signer, portal_options, notify::make_consent_change_function(notices));
  portal::PushRoutesOptions push_routes;
  push_routes.subscriptions = sc.api.push;
  for (auto& p : *providers) {
    if (config.get("providers." + p.name + ".type", p.name) == "webpush" && push_routes.vapid_public_key.empty()) {
      push_routes.vapid_public_key = config.get("providers." + p.name + ".vapid_public_key");
    }
  }
  // The public status page, the health board and the operator console. The console publishes to
  // its live connections; the board and the status service call it once it exists.
  console::Console* console_ptr = nullptr;
  status::StatusServiceOptions status_options;
  status_options.merchant = sc.merchant_name;
  status_options.public_url = sc.public_url;
  status_options.chains = sc.delivery.channel_providers;
  status_options.static_dir = config.get("status.static_dir");
  status_options.on_change = [&console_ptr](std::shared_ptr<const status::RenderedStatus> rendered) {
    if (console_ptr && rendered) console_ptr->publish("status", rendered->json);
  };
  status::StatusService status_service(engine_io, **store, clock, status_options);
  auto status_source = status_service.source();
  console::BoardOptions board_options;
  board_options.chains = sc.delivery.channel_providers;
  board_options.daily_cap_krw = sc.delivery.daily_cap_krw;
  for (auto& p : *providers) {
    std::string type = config.get("providers." + p.name + ".type", p.name);
    // A provider that needs keys does not start without them, so a running one has them.
    bool needs_keys = type == "solapi" || type == "nhn" || type == "webpush";
    bool has_password = !config.get("providers." + p.name + ".password").empty();
    board_options.credentials[p.name] = needs_keys || has_password ? "configured" : "not_needed";
  }
  board_options.status = [&status_service] { return status_service.current(); };
  board_options.on_board = [&console_ptr](const std::string& board_json) {
    if (console_ptr) console_ptr->publish("board", board_json);
  };
  console::BoardService board(engine_io, **store, engine, metrics, clock, board_options);
  console::ConsoleOptions console_options;
  console_options.secure_cookies = !sc.http.tls_cert_file.empty() || sc.public_url.rfind("https://", 0) == 0;
  console::Console operator_console(
      console::ConsoleDeps{
          **store, clock, engine, api, [&board] { return board.document(); },
          [](const std::string& body) -> Result<std::string> {
            auto parsed = status::parse_templates(body);
            if (!parsed) return parsed.error();
            return status::templates_json(*parsed);
          },
          [] { return status::templates_json(status::NoticeTemplates{}); }, [&board] { board.refresh(); },
          [&status_service] { status_service.refresh(); }},
      console_options);
  console_ptr = &operator_console;
  // Staff alerts: breakers opening and closing, spending caps, queue backlogs, told to on-duty
  // operators on the console and by email (the email channel's own providers, never the failing one).
  alerts::StaffAlertOptions alert_options;
  alert_options.enabled = config.get("alerts.enabled", "true") != "false";
  auto quiet_s = config.get_int_in("alerts.quiet_s", 600, 0, 86400);
  auto backlog = config.get_int_in("alerts.queue_backlog_threshold", 1000, 0, 100'000'000);
  auto backlog_s = config.get_int_in("alerts.queue_backlog_for_s", 60, 1, 86400);
  if (!quiet_s || !backlog || !backlog_s) {
    const Error& e = !quiet_s ? quiet_s.error() : !backlog ? backlog.error() : backlog_s.error();
    log::error("invalid configuration", {{"error", e.message}, {"field", e.field}});
    return 2;
  }
  alert_options.quiet_ms = *quiet_s * 1000;
  alert_options.queue_backlog_threshold = *backlog;
  alert_options.queue_backlog_for_ms = *backlog_s * 1000;
  alert_options.console_url = sc.public_url;
  alert_options.fallback_chain = sc.delivery.default_chain;
  alerts::StaffAlertHooks alert_hooks;
  alert_hooks.compose = api.message_composer();
  alert_hooks.wake = [&engine] { engine.wake(); };
  alert_hooks.on_alert = [&operator_console](const store::StaffAlertRecord& alert) {
    boost::json::object o{{"id", alert.id},         {"kind", alert.kind},         {"subject", alert.subject},
                          {"severity", alert.severity}, {"text_ko", alert.text_ko}, {"text_en", alert.text_en},
                          {"created_ms", alert.created_ms}};
    operator_console.publish("alert", boost::json::serialize(o));
  };
  alerts::StaffAlertService staff_alerts(engine_io, **store, clock, alerts::engine_snapshot_source(engine, metrics),
                                         alert_options, alert_hooks, metrics);
  api.set_public_routes([&, push_routes, status_source](const http::Request& request, const http::Responder& respond) {
    return operator_console.handle(request, respond) || status::handle_status_route(request, respond, status_source) ||
           customer_pages.handle(request, respond) ||
           portal::handle_push_route(request, respond, **store, clock, *signer, push_routes);
  });
  api.set_customer_links([links, &clock, &signer](const std::string& customer_id) {
    TimeMs now = clock.now_ms();
    return boost::json::object{{"inbox", links->inbox(customer_id, now)},
                               {"unsubscribe", links->unsubscribe(customer_id, "*", now)},
                               {"reconfirm", links->reconfirm(customer_id, now)},
                               // For the merchant's page that includes /push/subscribe.js.
                               {"push_token", signer->make(portal::kPushPurpose, customer_id, now + 90 * portal::kPortalDayMs)}};
  });
  metrics.gauge("jarip_store_queue_depth", {}, [&] { return static_cast<double>((*store)->stats().queue_depth); });
  metrics.gauge("jarip_store_commits", {}, [&] { return static_cast<double>((*store)->stats().commits); });

  http::Server server(server_io, sc.http, [&api](http::Request&& r, http::Responder respond) {
    api.handle(std::move(r), std::move(respond));
  });
  metrics.gauge("jarip_http_connections_open", {}, [&] { return static_cast<double>(server.stats().connections_open.load()); });
  if (auto s = server.start(); !s) {
    log::error("cannot start HTTP server", {{"error", s.error().message}});
    return 1;
  }
  notify::ReconfirmOptions reconfirm;
  reconfirm.enabled = config.get("consent.reconfirm", "true") != "false";
  auto check_s = config.get_int_in("consent.reconfirm_check_s", 3600, 1, 7 * 86400);
  auto first_s = config.get_int_in("consent.reconfirm_first_delay_s", 10, 0, 86400);
  if (!check_s || !first_s) {
    const Error& e = !check_s ? check_s.error() : first_s.error();
    log::error("invalid configuration", {{"error", e.message}, {"field", e.field}});
    return 2;
  }
  reconfirm.interval_ms = *check_s * 1000;
  reconfirm.first_delay_ms = *first_s * 1000;
  reconfirm.answer_link = [links, &clock](const std::string& customer_id) {
    return links->reconfirm(customer_id, clock.now_ms());
  };
  notify::ReconfirmJob reconfirm_job(engine_io, **store, clock, notices, reconfirm, metrics);

  engine.start();
  webhooks.start();
  reconfirm_job.start();
  status_service.start();
  board.start();
  staff_alerts.start();
  api.set_ready(true);
  log::info("jarip listening", {{"address", sc.http.host + ":" + std::to_string(server.port())},
                                {"tls", server.tls() ? "on" : "off"},
                                {"storage", (*store)->shared() ? std::string("postgresql") : sc.data_dir},
                                {"node", engine.node_id()}});

  // Engine on its own thread; the HTTP server on io_threads threads.
  auto engine_guard = asio::make_work_guard(engine_io);
  std::thread engine_thread([&] { engine_io.run(); });

  asio::signal_set stop_signals(server_io, SIGTERM, SIGINT);
  asio::signal_set reload_signal(server_io, SIGHUP);
  auto server_guard = std::make_shared<decltype(asio::make_work_guard(server_io))>(asio::make_work_guard(server_io));
  std::function<void()> arm_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      auto s = server.reload_tls();
      if (s) log::info("TLS certificate reloaded");
      else log::warn("TLS reload failed; keeping the old certificate", {{"error", s.error().message}});
      arm_reload();
    });
  };
  arm_reload();
  stop_signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    log::info("shutting down", {{"signal", std::to_string(signal)}});
    api.set_ready(false);
    server.stop_accepting();
    reload_signal.cancel();
    // In-flight provider calls finish and their outcomes are written before the store stops.
    webhooks.stop();
    reconfirm_job.stop();
    board.stop();
    status_service.stop();
    staff_alerts.stop();
    engine.stop(sc.shutdown_grace_s * 1000LL, [&, server_guard] {
      asio::post(server_io, [&, server_guard] {
        server_guard->reset();
        engine_guard.reset();
        // Let open connections finish their current response, then stop.
        auto timer = std::make_shared<asio::steady_timer>(server_io, std::chrono::milliseconds(200));
        timer->async_wait([&, timer](boost::system::error_code) { server_io.stop(); });
      });
    });
  });

  std::vector<std::thread> io_threads;
  for (int i = 1; i < sc.io_threads; ++i) io_threads.emplace_back([&] { server_io.run(); });
  server_io.run();
  for (auto& t : io_threads) t.join();
  engine_io.stop();
  engine_thread.join();
  (*store)->stop();
  log::info("stopped");
  return 0;
}

}  // namespace jarip::app
