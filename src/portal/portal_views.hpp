// The pages of the portal's routes (portal.hpp), rendered from what the store returned. Internal to
// portal/. Every value from outside (message texts, names, ids) is escaped here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "customers/customer.hpp"
#include "store/records.hpp"

namespace jarip::portal {

struct InboxPage {
  std::string merchant;
  std::string locale;  // the customer's
  std::string token;   // the page's own, for its relative form and links
  std::vector<store::InboxItem> items;  // newest first
  std::int64_t unread = 0;
  bool has_more = false;  // a full page: an older one may follow
  bool paged = false;     // not the newest page
  std::string unsubscribe_url;  // the customer's page that stops advertising (every channel); may be empty
};

// The inbox page; each message's text through text_to_html.
std::string inbox_html(const InboxPage& page);
// {"merchant", "unread", "messages": [{"id", "kind", "title", "text", "created_at", "read", "read_at"?}],
//  "next_before"?}: next_before is the cursor of the following page ("<created_ms>.<id>").
std::string inbox_json(const InboxPage& page);

// GET /u/{token} and GET /c/{token}.
struct ConsentPage {
  std::string merchant;
  customers::Customer customer;
  std::string channel;  // of the unsubscribe link ("*" = all)
  std::string token;
  TimeMs now = 0;
};
std::string unsubscribe_html(const ConsentPage& page);
std::string reconfirm_html(const ConsentPage& page);

// The answers to a POST on those pages, with the customer as stored after the change.
struct AnsweredPage {
  std::string merchant;
  customers::Customer customer;
  std::string channel;
  TimeMs now = 0;
  int changed = 0;  // consent records changed (0 for a repeated answer)
};
std::string unsubscribed_html(const AnsweredPage& page);
std::string renewed_html(const AnsweredPage& page);
std::string declined_html(const AnsweredPage& page);

}  // namespace jarip::portal
