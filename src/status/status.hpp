// The public status page: which notification channels reach customers right now, the notices about
// them (automatic ones opened and resolved by StatusService, manual ones written in the console), and
// the forms they are published in: the page /status (ko, en), /status.json, the Atom feed, and the
// banner script merchants embed on their own site. Everything here is pure (one snapshot in, text
// out) except write_static_copy (files) and handle_status_route (answers a request);
// status/service.hpp keeps the snapshot current.
//
// Evaluation (evaluate_channels):
//   A provider's health on the cluster comes from the fresh node_status rows (each node's breakers):
//     disabled  — the console disabled it ("provider.NAME" {"enabled":false}): never used;
//     drained   — forced open for maintenance ({"drained":true}): not used until undrained;
//     unable    — its breaker is not closed (open, half_open, forced_open) on every node reporting it;
//     impaired  — not closed on some of the nodes reporting it, closed on others;
//     ok        — closed on every node reporting it;
//     unknown   — no fresh node reports it (counted as able: no news is not an outage).
//   half_open counts as not closed, so that a probe succeeding and failing does not flap notices.
//   A channel (its chain of providers, the configured one or "chain.CHANNEL") is
//     down        — when no provider of its chain is ok, impaired or unknown;
//     degraded    — otherwise, when a provider's breaker is not closed somewhere (impaired or unable):
//                   messages wait for retries or fail over within the channel. Disabled and drained
//                   providers alone do not degrade it: the engine skips them without delay;
//     operational — otherwise.
//   Channels with an empty chain are not offered and not shown.
//   Overall: down when every channel is down; degraded when some channel is not operational or an
//   open notice has severity degraded or outage; otherwise operational.
//
// status.json (documented, stable; new fields may be added):
//   {"merchant", "version": hex of the content (same on every node for the same status),
//    "generated_at": RFC 3339 KST, "generated_ms", "state": "operational|degraded|down",
//    "state_label": {"ko","en"},
//    "channels": [{"channel", "name": {"ko","en"}, "state", "state_label": {"ko","en"}}],
//    "notices": [{"id", "kind": "auto|manual", "channel", "severity": "info|degraded|outage",
//                 "title": {"ko","en"}, "body": {"ko","en"}, "open": bool,
//                 "created_at", "updated_at", "resolved_at" (null while open), "created_ms",
//                 "updated_ms", "resolved_ms"}]}
//   Open notices come first (newest first), then those resolved in the last 7 days (newest first).
//   Provider names are not published: they are the merchant's business, not their customers'.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "http/message.hpp"
#include "store/records.hpp"

namespace jarip::status {

inline constexpr const char* kOperational = "operational";
inline constexpr const char* kDegraded = "degraded";
inline constexpr const char* kDown = "down";

// Notices resolved within this window stay on the page and in the feeds.
inline constexpr TimeMs kResolvedShownMs = 7LL * 24 * 3600 * 1000;

struct Bilingual {
  std::string ko;
  std::string en;
};

// ---- Evaluation -------------------------------------------------------------------------------------

struct ProviderSetting {
  bool enabled = true;
  bool drained = false;
};

struct ProviderHealth {
  std::string provider;
  std::string state;  // ok | impaired | unable | unknown | disabled | drained
  int nodes = 0;      // fresh nodes reporting it
  std::vector<std::string> not_closed_on;  // nodes where its breaker is not closed
};

struct ChannelState {
  std::string channel;                   // alimtalk | sms | email | push | inbox | …
  std::string state;                     // operational | degraded | down
  std::vector<ProviderHealth> providers; // in chain order (not published)
};

struct EvaluationInput {
  std::map<std::string, std::vector<std::string>> chains;  // channel → providers in order
  std::vector<store::NodeStatusRecord> nodes;              // the fresh rows only
  std::map<std::string, ProviderSetting> provider_settings;  // absent = enabled, not drained
};

// The configured chains with the console's settings applied: "chain.CHANNEL" (["p1","p2"]) replaces
// a channel's chain, "provider.NAME" ({"enabled":bool,"drained":bool}) sets a provider's switches.
// Settings that do not parse are ignored (logged by the caller's choice: they are returned in
// `ignored` as keys).
struct AppliedSettings {
  std::map<std::string, std::vector<std::string>> chains;
  std::map<std::string, ProviderSetting> provider_settings;
  std::vector<std::string> ignored;
};
AppliedSettings apply_settings(const std::map<std::string, std::vector<std::string>>& configured_chains,
                               const std::vector<store::SettingRecord>& settings);

// Every channel with a non-empty chain, in display order (channel_rank).
std::vector<ChannelState> evaluate_channels(const EvaluationInput& input);

std::string overall_state(const std::vector<ChannelState>& channels,
                          const std::vector<store::StatusNoticeRecord>& notices);

// Display order: alimtalk, sms, email, push, inbox, then any other channel by name.
int channel_rank(std::string_view channel);
Bilingual channel_name(std::string_view channel);  // 카카오톡 알림톡/KakaoTalk …; unknown: the id
Bilingual state_label(std::string_view state);     // 정상/Operational, 지연/Degraded, 중단/Down
Bilingual severity_label(std::string_view severity);

// The channel customers are reached by while `channel` is down: the first channel after it in
// display order that is not down (a degraded channel still delivers, only slower). Empty when none.
std::string fallback_channel(const std::vector<ChannelState>& channels, std::string_view channel);

// ---- Automatic notice wording (setting "status.templates") ------------------------------------------

struct NoticeTemplates {
  std::string down_ko = "{channel} 알림이 지연되어 {fallback}(으)로 안내드리고 있습니다";
  std::string down_en = "{channel} notifications are delayed; we are reaching you by {fallback} meanwhile";
  std::string recovered_ko = "{channel} 알림이 정상화되었습니다";
  std::string recovered_en = "{channel} notifications are back to normal";
};

// Each field: not empty, at most 300 characters, valid UTF-8, placeholders only {channel} and
// {fallback} (the recovered ones only {channel}). Error "invalid_request" with field = the key.
Status validate_templates(const NoticeTemplates& templates);
// A JSON object with the four keys; a missing key keeps its default, an unknown key or a non-string
// is an error ("invalid_request", field = the key). Validated.
Result<NoticeTemplates> parse_templates(std::string_view json);
std::string templates_json(const NoticeTemplates& templates);

// "로" or "으로" after `word` by its last syllable (no final consonant, or ㄹ → 로); "(으)로" when the
// word does not end in a Hangul syllable.
std::string_view korean_ro_particle(std::string_view word);

// The down wording for `channel` with `fallback` (a channel id, empty when none). In Korean, "(으)로"
// right after {fallback} becomes 로 or 으로. With no fallback, a template using {fallback} gives way
// to a fixed sentence without one ("{channel} 알림이 지연되고 있습니다").
Bilingual down_wording(const NoticeTemplates& templates, std::string_view channel, std::string_view fallback);
Bilingual recovered_wording(const NoticeTemplates& templates, std::string_view channel);

// ---- Snapshot and its renderings ----------------------------------------------------------------------

struct StatusSnapshot {
  std::string merchant;
  std::string public_url;  // "https://n.example.kr" (a trailing '/' is ignored); empty = unknown
  TimeMs generated_ms = 0; // when the status last changed
  std::string state = kOperational;
  std::vector<ChannelState> channels;
  std::vector<store::StatusNoticeRecord> notices;  // any order; renderings sort them
};

// Where a page points to: the server's paths, or the static copy's relative file names.
struct PageLinks {
  std::string stylesheet, script, json, feed, page_ko, page_en, banner;
  bool static_copy = false;  // adds a CSP <meta> (a plain web server sends no CSP header)
};
PageLinks live_links(std::string_view public_url);  // under the path of public_url, if any
PageLinks static_links();

// "2026-12-06 21:30 KST"
std::string kst_label(TimeMs time);

// lang: "ko" or "en".
std::string render_html(const StatusSnapshot& snapshot, std::string_view lang, const PageLinks& links);
std::string render_json(const StatusSnapshot& snapshot);
// The content hash published as "version" (excludes generated_at, so nodes agree).
std::string content_version(const StatusSnapshot& snapshot);
// RFC 4287. Bilingual entries (Korean, then English). `links` gives the self and page links;
// with a public_url they are made absolute.
std::string render_atom(const StatusSnapshot& snapshot, const PageLinks& links);

// banner-data.js: status.json as a script calling window.jaripStatusBanner.receive(…), for banner.js
// when it cannot read status.json (no CORS on a plain web server, or the host page's connect-src).
std::string banner_data_js(std::string_view status_json);

// A snapshot with everything the routes serve rendered once.
struct RenderedStatus {
  StatusSnapshot snapshot;
  std::string json, html_ko, html_en, atom;
};
std::shared_ptr<const RenderedStatus> render_all(StatusSnapshot snapshot);

// ---- Static copy --------------------------------------------------------------------------------------

struct StaticCopyReport {
  std::vector<std::string> written;    // file names rewritten
  std::vector<std::string> unchanged;  // already had this content
};

// Writes index.html (ko), index.en.html, status.json, banner-data.js, feed.atom, banner.js, status.css
// and status.js into `dir`, each atomically (a temporary file in the same directory, fsync, rename, fsync of the
// directory) and only when its content differs. Error "status_copy_failed" naming the path when the
// directory is missing or a file cannot be written; files done before the failure stay.
Result<StaticCopyReport> write_static_copy(const StatusSnapshot& snapshot, const std::filesystem::path& dir);

// ---- HTTP -----------------------------------------------------------------------------------------------

// The latest status; null before the first evaluation (routes then answer 503).
using StatusSnapshotSource = std::function<std::shared_ptr<const RenderedStatus>()>;

// "ko" or "en": ?lang= when given, else the preferred of the two in Accept-Language, else "ko".
std::string choose_language(const http::Request& request);

// Answers GET and HEAD for /status, /status/, /status.json, /status/status.json, /status/feed.atom,
// /status/banner.js, /status/banner-data.js, /status/status.css and /status/status.js (405 with Allow for other methods;
// 304 for a matching If-None-Match) and returns true; false for any other path (respond not called).
// HEAD answers carry the headers without a body.
bool handle_status_route(const http::Request& request, const http::Responder& respond,
                         const StatusSnapshotSource& source);

}  // namespace jarip::status
