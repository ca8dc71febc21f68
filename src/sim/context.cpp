#include "sim/context.hpp"

#include "sim/timefmt.hpp"

namespace jarip::sim {

SimContext::SimContext(SimConfig cfg, const Clock& clk, std::uint64_t seed)
    : config(std::move(cfg)), clock(clk), rng(seed) {
  reload_number_lists();
}

void SimContext::reload_number_lists() {
  non_kakao_users = {config.non_kakao_users.begin(), config.non_kakao_users.end()};
  kakao_blocked = {config.kakao_blocked.begin(), config.kakao_blocked.end()};
}

double SimContext::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

std::string SimContext::random_chars(std::size_t n, const char* alphabet) {
  std::string a(alphabet);
  std::uniform_int_distribution<std::size_t> pick(0, a.size() - 1);
  std::string out(n, ' ');
  for (auto& c : out) c = a[pick(rng)];
  return out;
}

std::string SimContext::solapi_id(char prefix) {
  // e.g. M4V20180307110044DTYYJBBYLPQZIB1: type letter, "4V", KST stamp, 15 random upper-case/digits.
  return std::string(1, prefix) + "4V" + kst_compact(now()) + random_chars(15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

std::string SimContext::nhn_request_id() {
  return kst_compact(now()) + random_chars(11, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

void SimContext::prune_guards() {
  const auto t = now();
  std::erase_if(solapi_signatures, [t](const auto& kv) { return kv.second <= t; });
  std::erase_if(nhn_idempotency, [t](const auto& kv) { return kv.second <= t; });
}

}  // namespace jarip::sim
