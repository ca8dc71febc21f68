#include "status/service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "notify/channel_view.hpp"

namespace jarip::status {

namespace asio = boost::asio;

AutoNoticePlan plan_auto_notices(const std::vector<ChannelState>& channels,
                                 const std::vector<store::StatusNoticeRecord>& notices,
                                 const NoticeTemplates& templates, TimeMs now, bool have_nodes) {
  AutoNoticePlan plan;
  if (!have_nodes) return plan;
  std::set<std::string> down, open_auto;
  for (auto& c : channels) {
    if (c.state == kDown) down.insert(c.channel);
  }
  for (auto& n : notices) {
    if (n.kind != "auto" || n.resolved_ms != 0) continue;
    open_auto.insert(n.channel);
    if (down.count(n.channel)) continue;
    store::StatusNoticeRecord r = n;
    Bilingual wording = recovered_wording(templates, n.channel);
    r.body_ko = wording.ko;
    r.body_en = wording.en;
    r.resolved_ms = r.updated_ms = now;
    plan.resolve.push_back(std::move(r));
  }
  for (auto& c : channels) {
    if (c.state != kDown || open_auto.count(c.channel)) continue;
    store::StatusNoticeRecord n;
    n.id = "ntc_" + crypto::random_hex(10);
    n.kind = "auto";
    n.channel = c.channel;
    n.severity = "outage";
    Bilingual wording = down_wording(templates, c.channel, fallback_channel(channels, c.channel));
    n.title_ko = wording.ko;
    n.title_en = wording.en;
    n.created_ms = n.updated_ms = now;
    n.created_by = "system";
    plan.open.push_back(std::move(n));
  }
  return plan;
}

namespace {

// What one round reads, in one read snapshot.
struct Gathered {
  std::optional<Error> error;
  std::vector<store::NodeStatusRecord> nodes;
  std::vector<store::SettingRecord> settings;
  std::optional<store::SettingRecord> templates;
  std::vector<store::StatusNoticeRecord> notices;
};

Gathered gather(store::StoreSession& s, TimeMs now) {
  Gathered g;
  auto fail = [&](const Error& e) {
    if (!g.error) g.error = e;
  };
  if (auto r = s.list_node_status(now - notify::kNodeStatusFreshMs)) g.nodes = std::move(*r); else fail(r.error());
  for (const char* prefix : {"provider.", "chain."}) {
    if (auto r = s.list_settings(prefix)) {
      g.settings.insert(g.settings.end(), r->begin(), r->end());
    } else {
      fail(r.error());
    }
  }
  if (auto r = s.get_setting("status.templates")) g.templates = std::move(*r); else fail(r.error());
  if (auto r = s.list_status_notices(now - kResolvedShownMs, 100)) g.notices = std::move(*r); else fail(r.error());
  return g;
}

// The latest status, shared with the routes apart from the service so that a route outliving the
// service still answers.
struct Published {
  mutable std::mutex mutex;
  std::shared_ptr<const RenderedStatus> current;

  std::shared_ptr<const RenderedStatus> get() const {
    std::lock_guard lock(mutex);
    return current;
  }
  void set(std::shared_ptr<const RenderedStatus> value) {
    std::lock_guard lock(mutex);
    current = std::move(value);
  }
};

}  // namespace

struct StatusService::Impl : std::enable_shared_from_this<StatusService::Impl> {
  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  StatusServiceOptions options;
  std::shared_ptr<Published> published = std::make_shared<Published>();
  asio::steady_timer timer;
  std::unique_ptr<asio::thread_pool> files;  // one thread: static copies are written in order
  std::atomic<bool> stopped{false};

  // Only touched on `io`.
  bool busy = false;
  bool again = false;
  bool static_dirty = false;  // the last static copy failed: write it again next round
  std::string last_error;     // logged once until it changes, not every 2 s
  std::vector<std::shared_ptr<std::promise<void>>> waiters, round_waiters;

  Impl(asio::io_context& io_, store::Store& store_, const Clock& clock_, StatusServiceOptions options_)
      : io(io_), store(store_), clock(clock_), options(std::move(options_)), timer(io_) {
    if (options.interval_ms <= 0) options.interval_ms = 2000;
    if (!options.static_dir.empty()) files = std::make_unique<asio::thread_pool>(1);
  }

  ~Impl() {
    if (files) files->join();
  }

  void note_error(std::string_view what, const Error& e) {
    std::string text = std::string(what) + ": " + e.code + " " + e.message;
    if (text == last_error) return;
    last_error = text;
    log::warn("status: round failed", {{"what", what}, {"code", e.code}, {"message", e.message}});
  }

  void arm_timer() {
    timer.expires_after(std::chrono::milliseconds(options.interval_ms));
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      if (self->busy) {
        self->again = true;
      } else {
        self->start_round();
      }
      self->arm_timer();
    });
  }

  void start_round() {
    busy = true;
    again = false;
    round_waiters.insert(round_waiters.end(), waiters.begin(), waiters.end());
    waiters.clear();
    if (stopped) return finish_round();
    read(true);
  }

  // On io. `may_write`: false for the read after this round's own writes, so that a round writes once.
  void read(bool may_write) {
    TimeMs now = clock.now_ms();
    store.read([self = shared_from_this(), now, may_write](store::StoreSession& s) mutable {
      Gathered g;
      try {
        g = gather(s, now);
      } catch (const std::exception& e) {
        g.error = make_error("internal", e.what());
      }
      auto& io = self->io;
      asio::post(io, [self = std::move(self), g = std::move(g), now, may_write]() mutable {
        self->evaluate(std::move(g), now, may_write);
      });
    });
  }

  void evaluate(Gathered g, TimeMs now, bool may_write) {
    if (g.error) {
      note_error("read", *g.error);
      return finish_round();
    }
    NoticeTemplates templates;
    if (g.templates) {
      if (auto t = parse_templates(g.templates->value_json)) {
        templates = std::move(*t);
      } else {
        note_error("status.templates", t.error());  // the defaults stand in
      }
    }
    AppliedSettings applied = apply_settings(options.chains, g.settings);
    EvaluationInput input{std::move(applied.chains), std::move(g.nodes), std::move(applied.provider_settings)};
    bool have_nodes = !input.nodes.empty();
    std::vector<ChannelState> channels = evaluate_channels(input);

    if (may_write && !stopped) {
      AutoNoticePlan plan = plan_auto_notices(channels, g.notices, templates, now, have_nodes);
      if (!plan.open.empty() || !plan.resolve.empty()) return write_plan(std::move(plan));
    }
    publish(std::move(channels), std::move(g.notices), now);
  }

  void write_plan(AutoNoticePlan plan) {
    auto pending = std::make_shared<std::size_t>(plan.open.size() + plan.resolve.size());
    auto done = [self = shared_from_this(), pending](const std::string& what, const std::string& id, Status s) {
      asio::post(self->io, [self, pending, what, id, s = std::move(s)] {
        // conflict: another node opened this channel's notice first, which is what we wanted.
        if (!s && s.error().code != "conflict") {
          log::warn("status: notice write failed", {{"what", what}, {"id", id}, {"code", s.error().code},
                                                     {"message", s.error().message}});
        } else if (s) {
          log::info(what == "open" ? "status: automatic notice opened" : "status: automatic notice resolved",
                    {{"id", id}});
        }
        if (--*pending == 0) self->read(false);
      });
    };
    for (auto& n : plan.open) {
      store.write([n](store::StoreSession& s) { return s.insert_status_notice(n); },
                  [done, id = n.id](Status s) { done("open", id, std::move(s)); });
    }
    for (auto& n : plan.resolve) {
      store.write(
          [n](store::StoreSession& s) -> Status {
            // Another node may have resolved it meanwhile: keep its time and wording.
            auto existing = s.get_status_notice(n.id);
            if (!existing) return existing.error();
            if (!*existing || (*existing)->resolved_ms != 0) return {};
            return s.update_status_notice(n);
          },
          [done, id = n.id](Status s) { done("resolve", id, std::move(s)); });
    }
  }

  void publish(std::vector<ChannelState> channels, std::vector<store::StatusNoticeRecord> notices, TimeMs now) {
    StatusSnapshot snap;
    snap.merchant = options.merchant;
    snap.public_url = options.public_url;
    snap.state = overall_state(channels, notices);
    snap.channels = std::move(channels);
    snap.notices = std::move(notices);
    last_error.clear();
    auto previous = published->get();
    bool changed = !previous || content_version(previous->snapshot) != content_version(snap);
    if (!changed && !static_dirty) return finish_round();
    std::shared_ptr<const RenderedStatus> rendered = previous;
    if (changed) {
      snap.generated_ms = now;
      rendered = render_all(std::move(snap));
      published->set(rendered);
      if (options.on_change) {
        try {
          options.on_change(rendered);
        } catch (const std::exception& e) {
          log::error("status: on_change threw", {{"what", e.what()}});
        } catch (...) {
          log::error("status: on_change threw");
        }
      }
    }
    if (!files) return finish_round();
    static_dirty = false;
    asio::post(*files, [self = shared_from_this(), rendered]() mutable {
      auto report = write_static_copy(rendered->snapshot, self->options.static_dir);
      if (!report) log::error("status: static copy failed", {{"code", report.error().code}, {"message", report.error().message}});
      bool failed = !report.ok();
      auto& io = self->io;
      // The posted handler takes our reference: the last one must never drop on this pool's own thread.
      asio::post(io, [self = std::move(self), failed] {
        if (failed) self->static_dirty = true;
        self->finish_round();
      });
    });
  }

  void finish_round() {
    busy = false;
    for (auto& w : round_waiters) w->set_value();
    round_waiters.clear();
    if ((again || !waiters.empty()) && !stopped) {
      start_round();
    } else if (stopped && !waiters.empty()) {
      for (auto& w : waiters) w->set_value();
      waiters.clear();
    }
  }
};

StatusService::StatusService(asio::io_context& io, store::Store& store, const Clock& clock, StatusServiceOptions options)
    : impl_(std::make_shared<Impl>(io, store, clock, std::move(options))) {}

StatusService::~StatusService() { stop(); }

void StatusService::start() {
  asio::post(impl_->io, [self = impl_] {
    if (self->stopped) return;
    if (!self->busy) self->start_round();
    self->arm_timer();
  });
}

void StatusService::stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto self = weak.lock()) self->timer.cancel();
  });
}

std::shared_ptr<const RenderedStatus> StatusService::current() const { return impl_->published->get(); }

StatusSnapshotSource StatusService::source() const {
  return [published = impl_->published] { return published->get(); };
}

void StatusService::refresh() {
  asio::post(impl_->io, [self = impl_] {
    if (self->stopped) return;
    if (self->busy) {
      self->again = true;
    } else {
      self->start_round();
    }
  });
}

void StatusService::refresh_now() {
  auto waiter = std::make_shared<std::promise<void>>();
  auto done = waiter->get_future();
  asio::post(impl_->io, [self = impl_, waiter] {
    self->waiters.push_back(waiter);
    if (!self->busy) self->start_round();
  });
  if (done.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    log::warn("status: refresh_now timed out");
  }
}

}  // namespace jarip::status
