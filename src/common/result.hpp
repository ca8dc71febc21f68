// Errors as values at every module boundary. An Error carries a stable machine code (it reaches the
// API's {"error":{"code":…}} unchanged), a human message, and optionally the offending field.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace jarip {

struct Error {
  std::string code;     // stable, snake_case, documented in docs/api.md
  std::string message;  // for humans; never contains secrets
  std::string field;    // request field at fault, empty when not about one field
};

inline Error make_error(std::string code, std::string message, std::string field = {}) {
  return Error{std::move(code), std::move(message), std::move(field)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status success() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace jarip

// In a function returning Result<…> or Status: target = the value of a Result expression, or return
// its error.
#define JARIP_TRY_ASSIGN(target, expr) \
  do {                                 \
    auto _jarip_r = (expr);            \
    if (!_jarip_r) return _jarip_r.error(); \
    target = std::move(*_jarip_r);     \
  } while (0)
