// Pieces the status renderings share. Internal to status/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "status/status.hpp"

namespace jarip::status::detail {

// Open notices first (newest first), then resolved ones (most recently resolved first); ties by id,
// so that every node renders the same order.
std::vector<const store::StatusNoticeRecord*> ordered_notices(const std::vector<store::StatusNoticeRecord>& notices);

// `preferred` unless empty, else `other`: a notice written in one language only still shows.
inline const std::string& either(const std::string& preferred, const std::string& other) {
  return preferred.empty() ? other : preferred;
}

// "https://n.example.kr:8443/jarip/" → origin "https://n.example.kr:8443", path "/jarip".
struct UrlParts {
  std::string origin;
  std::string path;
};
UrlParts split_public_url(std::string_view public_url);

}  // namespace jarip::status::detail
