// jarip-sim: a local stand-in for Solapi and NHN Cloud that speaks their wire formats.
//   jarip-sim --config sim.json [--seed N]
//   jarip-sim --print-default-config
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "common/clock.hpp"
#include "sim/config.hpp"
#include "sim/http_server.hpp"
#include "sim/simulator.hpp"
#include "sim/webhook_client.hpp"

namespace {

using namespace jarip::sim;
namespace asio = boost::asio;

int usage() {
  std::fprintf(stderr, "usage: jarip-sim --config sim.json [--seed N]\n       jarip-sim --print-default-config\n");
  return 2;
}

struct Runtime {
  asio::io_context io{1};
  jarip::SystemClock clock;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<HttpServer> admin, solapi, nhn_alimtalk, nhn_sms, push;
  std::unique_ptr<WebhookClient> hooks[kStreams];
  asio::steady_timer tick{io};
  int ticks = 0;

  void reconcile(HttpServer& server, Endpoint e) { reconcile(server, sim->should_listen(e)); }
  void reconcile(HttpServer& server, bool want) {
    if (want && !server.is_open()) {
      std::string err;
      if (!server.open(&err)) std::fprintf(stderr, "jarip-sim: reopening failed: %s\n", err.c_str());
    } else if (!want && server.is_open()) {
      server.close();
    }
  }

  void on_tick() {
    reconcile(*solapi, Endpoint::solapi);
    reconcile(*nhn_alimtalk, Endpoint::nhn_alimtalk);
    reconcile(*nhn_sms, Endpoint::nhn_sms);
    reconcile(*push, sim->push_should_listen());
    for (auto& h : hooks) h->pump();
    if (++ticks % 1000 == 0) sim->context().prune_guards();
    tick.expires_after(std::chrono::milliseconds(5));
    tick.async_wait([this](boost::system::error_code ec) {
      if (!ec) on_tick();
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::uint64_t seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--print-default-config") {
      std::cout << config_to_json(default_config()) << "\n";
      return 0;
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--seed" && i + 1 < argc) {
      try {
        seed = std::stoull(argv[++i]);
      } catch (...) {
        return usage();
      }
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();
  std::ifstream in(config_path);
  if (!in) {
    std::fprintf(stderr, "jarip-sim: cannot read %s\n", config_path.c_str());
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_config(text.str());
  if (!parsed) {
    std::fprintf(stderr, "jarip-sim: %s\n", parsed.error().message.c_str());
    return 1;
  }
  SimConfig cfg = std::move(parsed).value();

  Runtime rt;
  rt.sim = std::make_unique<Simulator>(cfg, rt.clock, seed);
  Simulator& sim = *rt.sim;
  auto provider = [&sim](Endpoint e) { return [&sim, e](const HttpIn& req) { return sim.handle(e, req); }; };
  rt.admin = std::make_unique<HttpServer>(rt.io, cfg.listen_host, cfg.admin_port, "admin",
                                          [&sim](const HttpIn& req) { return Handled{Disposition::respond, sim.handle_admin(req), 0}; });
  rt.solapi = std::make_unique<HttpServer>(rt.io, cfg.listen_host, cfg.solapi.port, "solapi", provider(Endpoint::solapi));
  rt.nhn_alimtalk = std::make_unique<HttpServer>(rt.io, cfg.listen_host, cfg.nhn.alimtalk_port, "nhn-alimtalk",
                                                 provider(Endpoint::nhn_alimtalk));
  rt.nhn_sms = std::make_unique<HttpServer>(rt.io, cfg.listen_host, cfg.nhn.sms_port, "nhn-sms", provider(Endpoint::nhn_sms));
  rt.push = std::make_unique<HttpServer>(rt.io, cfg.listen_host, cfg.push_port, "push",
                                         [&sim](const HttpIn& req) { return sim.handle_push(req); });
  for (HttpServer* s : {rt.admin.get(), rt.solapi.get(), rt.nhn_alimtalk.get(), rt.nhn_sms.get(), rt.push.get()}) {
    std::string err;
    if (!s->open(&err)) {
      std::fprintf(stderr, "jarip-sim: %s\n", err.c_str());
      return 1;
    }
  }
  sim.push().set_origin(push_origin(cfg.listen_host, rt.push->port()));
  rt.hooks[0] = std::make_unique<WebhookClient>(rt.io, sim, Stream::solapi, cfg.solapi.webhook_url,
                                                std::vector<std::pair<std::string, std::string>>{});
  std::vector<std::pair<std::string, std::string>> nhn_headers{{"X-Toast-Webhook-Signature", cfg.nhn.webhook_signature}};
  rt.hooks[1] = std::make_unique<WebhookClient>(rt.io, sim, Stream::nhn_alimtalk, cfg.nhn.webhook_url, nhn_headers);
  rt.hooks[2] = std::make_unique<WebhookClient>(rt.io, sim, Stream::nhn_sms, cfg.nhn.webhook_url, nhn_headers);

  asio::signal_set signals(rt.io, SIGINT, SIGTERM);
  signals.async_wait([&rt](boost::system::error_code, int) { rt.io.stop(); });
  rt.on_tick();
  std::fprintf(stderr, "jarip-sim: admin %s:%d, solapi :%d, nhn alimtalk :%d, nhn sms :%d, push :%d\n",
               cfg.listen_host.c_str(), cfg.admin_port, cfg.solapi.port, cfg.nhn.alimtalk_port, cfg.nhn.sms_port,
               rt.push->port());
  rt.io.run();
  return 0;
}
