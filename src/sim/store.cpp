#include "sim/store.hpp"

namespace jarip::sim {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::alimtalk: return "alimtalk";
    case Kind::sms: return "sms";
    case Kind::lms: return "lms";
  }
  return "sms";
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::rejected: return "rejected";
    case Outcome::accepted: return "accepted";
    case Outcome::delivered: return "delivered";
    case Outcome::failed: return "failed";
  }
  return "accepted";
}

const char* to_string(Endpoint e) {
  switch (e) {
    case Endpoint::solapi: return "solapi";
    case Endpoint::nhn_alimtalk: return "nhn_alimtalk";
    case Endpoint::nhn_sms: return "nhn_sms";
  }
  return "solapi";
}

Provider provider_of(Endpoint e) { return e == Endpoint::solapi ? Provider::solapi : Provider::nhn; }

std::uint32_t Store::add_request(RequestRecord r) {
  r.body_size = r.body.size();
  requests_.push_back(std::move(r));
  if (requests_.size() > kKeepBodies) {
    auto& old = requests_[requests_.size() - 1 - kKeepBodies];
    std::string().swap(old.body);
  }
  return static_cast<std::uint32_t>(requests_.size() - 1);
}

std::uint32_t Store::add_message(MessageRecord m) {
  auto idx = static_cast<std::uint32_t>(messages_.size());
  if (!m.provider_message_id.empty()) {
    std::string key = m.provider == Provider::solapi ? m.provider_message_id
                                                     : m.provider_message_id + "#" + std::to_string(m.recipient_seq);
    by_key_[key] = idx;
    if (m.provider == Provider::nhn) by_request_[m.provider_message_id].push_back(idx);
  }
  if (m.provider == Provider::solapi) solapi_by_to_[m.to].push_back(idx);
  messages_.push_back(std::move(m));
  return idx;
}

const MessageRecord* Store::find(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &messages_[it->second];
}

std::vector<std::uint32_t> Store::find_request(const std::string& id) const {
  auto it = by_request_.find(id);
  return it == by_request_.end() ? std::vector<std::uint32_t>{} : it->second;
}

const std::vector<std::uint32_t>& Store::find_solapi_to(const std::string& to) const {
  static const std::vector<std::uint32_t> kNone;
  auto it = solapi_by_to_.find(to);
  return it == solapi_by_to_.end() ? kNone : it->second;
}

void Store::clear() {
  requests_.clear();
  messages_.clear();
  by_key_.clear();
  by_request_.clear();
  solapi_by_to_.clear();
}

}  // namespace jarip::sim
