// Structured logs: one JSON object per line on stderr, so that journald, Loki or jq read them as
// they are. Callers pass only non-secret fields; phone numbers go through text::mask_phone first.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace jarip::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
bool parse_level(std::string_view text, Level& out);
void event(Level level, std::string_view message,
           std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

inline void info(std::string_view m, std::initializer_list<std::pair<std::string_view, std::string_view>> f = {}) {
  event(Level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<std::pair<std::string_view, std::string_view>> f = {}) {
  event(Level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<std::pair<std::string_view, std::string_view>> f = {}) {
  event(Level::error, m, f);
}

std::string json_escape(std::string_view text);

}  // namespace jarip::log
