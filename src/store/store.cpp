#include "store/store.hpp"

#include <future>

namespace jarip::store {

Status Store::run_now(const WriteOp& op) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  write(op, [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

}  // namespace jarip::store
