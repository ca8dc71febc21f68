#include "http/event_stream.hpp"

#include <algorithm>
#include <utility>

namespace jarip::http {

namespace {

// A field whose value must stay on one line: a CR or LF in it would start a field of its own.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
  out += '\n';
}

std::string format_event(std::string_view event, std::string_view data, std::string_view id) {
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 32);
  if (!id.empty()) append_field(out, "id", id);
  if (!event.empty()) append_field(out, "event", event);
  // EventSource ends a line at CRLF, CR or LF and joins data lines with LF: one "data:" line per line
  // gives the client back exactly `data` (with its line ends as LF), including a trailing empty line.
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '\r' && data[i] != '\n') continue;
    out += "data: ";
    out.append(data.substr(start, i - start));
    out += '\n';
    if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out += "data: ";
  out.append(data.substr(start));
  out += "\n\n";
  return out;
}

}  // namespace

EventStream::EventStream(std::size_t max_buffered_bytes) : max_buffered_(max_buffered_bytes) {}

EventStream::~EventStream() {
  // Nobody else can hold the stream now; a server that served it has finished it already.
  std::unique_lock lock(mutex_);
  if (!finished_) finish_locked(End::closed, lock);
}

bool EventStream::send(std::string_view event, std::string_view data, std::string_view id) {
  std::string frame = format_event(event, data, id);  // outside the lock: senders contend less
  std::lock_guard lock(mutex_);
  if (end_ != End::open) return false;
  if (queued_.size() + in_flight_ + frame.size() > max_buffered_) {
    end_locked(End::slow_consumer);
    queued_.clear();
    wake_locked();
    return false;
  }
  queued_ += frame;
  if (!wake_posted_) wake_locked();
  return true;
}

void EventStream::close() {
  std::lock_guard lock(mutex_);
  if (end_locked(End::closed)) wake_locked();
}

bool EventStream::closed() const {
  std::lock_guard lock(mutex_);
  return end_ != End::open;
}

EventStream::End EventStream::end_reason() const {
  std::lock_guard lock(mutex_);
  return end_;
}

std::size_t EventStream::buffered_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_.size() + in_flight_;
}

void EventStream::on_close(std::function<void()> callback) {
  if (!callback) return;
  std::unique_lock lock(mutex_);
  if (!finished_) {
    callbacks_.push_back(std::move(callback));
    return;
  }
  lock.unlock();
  callback();
}

void EventStream::attach(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  wake_posted_ = false;
}

EventStream::Taken EventStream::take() {
  std::lock_guard lock(mutex_);
  Taken taken;
  taken.data = std::move(queued_);
  queued_.clear();
  in_flight_ += taken.data.size();
  taken.end = end_;
  wake_posted_ = false;
  return taken;
}

void EventStream::wrote(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  in_flight_ -= std::min(bytes, in_flight_);
}

void EventStream::finish(End reason) {
  std::unique_lock lock(mutex_);
  if (!finished_) finish_locked(reason, lock);
}

bool EventStream::end_locked(End reason) {
  if (end_ != End::open) return false;
  end_ = reason;
  return true;
}

void EventStream::wake_locked() {
  // An end always wakes, even with a wake-up posted: the server may be inside a write it must cut.
  wake_posted_ = true;
  if (wake_) wake_();
}

void EventStream::finish_locked(End reason, std::unique_lock<std::mutex>& lock) {
  end_locked(reason);
  finished_ = true;
  queued_.clear();
  queued_.shrink_to_fit();
  in_flight_ = 0;
  wake_ = nullptr;
  auto callbacks = std::move(callbacks_);
  callbacks_.clear();
  lock.unlock();
  for (auto& callback : callbacks) callback();
}

}  // namespace jarip::http
