// BackgroundTasks: an atomic index handed out to a few threads.

#include "daemon/engine/background_tasks.h"

#include <algorithm>
#include <utility>

namespace apig_certd::engine {

BackgroundTasks::BackgroundTasks(std::size_t count, std::size_t threads, Task task)
    : task_(std::move(task)), count_(count) {
  const std::size_t started = std::min(count, std::max<std::size_t>(threads, 1));
  threads_.reserve(started);
  for (std::size_t t = 0; t < started; ++t) {
    threads_.emplace_back([this, t] {
      for (std::size_t i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) {
        task_(i, t);
      }
    });
  }
}

void BackgroundTasks::wait() {
  for (std::jthread& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

std::size_t core_count() {
  return std::max(1U, std::thread::hardware_concurrency());
}

}  // namespace apig_certd::engine
