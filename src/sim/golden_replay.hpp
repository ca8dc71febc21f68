// Replays a golden request file through the simulator's validator (no network, no faults):
// {"description","source","method","path","headers":{…},"body":<JSON or string>,
//  "credentials":{…},"now":"ISO 8601","expect":"accept"|"reject","expect_error_code":"…"}.
// "credentials" uses the keys of the provider's section of sim.json (api_key, api_secret, pf_id,
// senders, templates / alimtalk_appkey, sms_appkey, secret_key, sender_key, send_nos, templates),
// overlaid on the default configuration.
#pragma once

#include <string>

namespace jarip::sim {

struct GoldenOutcome {
  bool readable = false;     // false: the file itself is malformed (see detail)
  bool has_expectation = false;
  std::string expect;        // "accept" | "reject"
  std::string expect_error_code;
  bool accepted = false;
  std::string error_code;    // provider's code when rejected
  int http_status = 0;
  std::string response_body;
  std::string detail;
};

// `provider` is the golden folder name: "solapi" or "nhn".
GoldenOutcome replay_golden(const std::string& file_text, const std::string& provider);

}  // namespace jarip::sim
