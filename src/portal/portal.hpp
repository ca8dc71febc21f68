// The customer's own pages, reached by signed links in the messages they receive (docs/portal.md):
//   GET  /i/{token}                 inbox: the customer's messages, newest first, unread count
//   GET  /i/{token}/messages.json   the same as JSON (?before= paging)
//   POST /i/{token}/read            mark messages read (form or JSON: ids, or all)
//   GET  /u/{token}                 unsubscribe page (changes nothing: mail scanners follow links)
//   POST /u/{token}                 withdraw advertising consent (form confirm, or RFC 8058 one-click)
//   GET  /c/{token}                 two-yearly re-confirmation of advertising consent
//   POST /c/{token}                 its answer (answer=yes | no)
//   GET  /s/{code}                  short link: 302 to the stored URL, counting the click
// Public routes: no API key; the token is the credential. Every answer carries Cache-Control:
// no-store, Referrer-Policy: no-referrer, X-Content-Type-Options: nosniff and a Content-Security-
// Policy that allows no script at all. Store work runs on the store's threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/message.hpp"
#include "notify/consent_ops.hpp"
#include "portal/link_tokens.hpp"
#include "store/store.hpp"

namespace jarip::portal {

inline constexpr TimeMs kPortalDayMs = 24LL * 3600 * 1000;
// An unsubscribe token's subject for an address rather than a customer: "mailto:ADDRESS|email".
inline constexpr std::string_view kAddressSubjectPrefix = "mailto:";

struct PortalOptions {
  std::string public_url;     // where the pages are reached, "https://n.example.kr" (links are made from it)
  std::string merchant_name;  // shown on every page
  TimeMs link_ttl_ms = 90 * kPortalDayMs;               // inbox links
  TimeMs unsubscribe_link_ttl_ms = 400 * kPortalDayMs;  // unsubscribe links: an old email must still work
  TimeMs reconfirm_link_ttl_ms = 60 * kPortalDayMs;     // re-confirmation links
  int page_size = 20;                                    // inbox messages per page (1–100)
  // Called after the commit of a consent change that stored a confirmation notice (the engine:
  // something new is due). May be empty.
  std::function<void()> wake;
};

// The URLs of a customer's pages, for the messages that carry them: public_url + path + token, each
// valid for its option's time from `now`. Cheap to copy; safe to use from any thread.
class PortalLinks {
 public:
  PortalLinks(LinkSigner signer, const PortalOptions& options);

  std::string inbox(const std::string& customer_id, TimeMs now) const;
  // channel: "sms", "alimtalk", "email", "push", or "*" for every channel.
  std::string unsubscribe(const std::string& customer_id, const std::string& channel, TimeMs now) const;
  std::string reconfirm(const std::string& customer_id, TimeMs now) const;
  // For an email to an address that is no customer of the directory: unsubscribes the address.
  std::string unsubscribe_address(const std::string& address, TimeMs now) const;

 private:
  LinkSigner signer_;
  std::string base_;  // public_url without a trailing '/'
  TimeMs inbox_ttl_ms_, unsubscribe_ttl_ms_, reconfirm_ttl_ms_;
};

class Portal {
 public:
  // change_consent applies the answers of the unsubscribe and re-confirmation pages inside a store
  // write (notify::make_consent_change_function).
  Portal(store::Store& store, const Clock& clock, LinkSigner signer, PortalOptions options,
         notify::ConsentChangeFunction change_consent);
  ~Portal();

  // True when `request` is one of the routes above (answered through `respond`, exactly once, from
  // this or a store thread); false for any other path. Never throws; an unknown, forged or expired
  // token is a 404 or 410 page and changes nothing.
  bool handle(const http::Request& request, const http::Responder& respond);

  const PortalLinks& links() const;

 private:
  struct Shared;
  void serve_short_link(const http::Request& request, const http::Responder& respond, std::string_view code,
                        TimeMs now);
  void serve_inbox(const http::Request& request, const http::Responder& respond, const std::string& token,
                   const std::string& customer_id, bool json_out);
  void serve_mark_read(const http::Request& request, const http::Responder& respond, const std::string& token,
                       const std::string& customer_id, bool json_out, TimeMs now);
  void serve_consent_page(const http::Responder& respond, bool unsubscribe, const std::string& token,
                          const std::string& customer_id, const std::string& channel, TimeMs now);
  void serve_address_unsubscribe(const http::Request& request, const http::Responder& respond,
                                 const std::string& address, TimeMs now);
  void serve_consent_answer(const http::Request& request, const http::Responder& respond, bool unsubscribe,
                            const std::string& customer_id, const std::string& channel, TimeMs now);

  store::Store& store_;
  const Clock& clock_;
  std::shared_ptr<const Shared> shared_;  // also held by store callbacks in flight
};

}  // namespace jarip::portal
