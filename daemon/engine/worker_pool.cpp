// WorkerPool: an atomic index handed out to min(N, count) threads. With one client (or one
// task) everything runs on the calling thread, which keeps the common small case free of
// thread start-up and makes single-target runs easy to debug.

#include "daemon/engine/worker_pool.h"

#include <atomic>
#include <thread>

namespace apig_certd::engine {

WorkerPool::WorkerPool(std::vector<apig::ClientHandle> clients) : clients_(std::move(clients)) {}

void WorkerPool::run(std::size_t count,
                     const std::function<void(std::size_t, apig::Client&)>& task) {
  if (count == 0 || clients_.empty()) {
    return;
  }
  std::atomic<std::size_t> next{0};
  const auto work = [&](apig::Client& client) {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      task(i, client);
    }
  };
  const std::size_t threads = std::min(clients_.size(), count);
  if (threads == 1) {
    work(*clients_.front().client);
    return;
  }
  std::vector<std::jthread> workers;
  workers.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) {
    workers.emplace_back([&work, this, t] { work(*clients_[t].client); });
  }
  work(*clients_.front().client);
}

}  // namespace apig_certd::engine
