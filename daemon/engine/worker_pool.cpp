// WorkerPool: a batch is BackgroundTasks with one thread per client, waited for at once.

#include "daemon/engine/worker_pool.h"

#include "daemon/engine/background_tasks.h"

namespace apig_certd::engine {

WorkerPool::WorkerPool(std::vector<apig::ClientHandle> clients) : clients_(std::move(clients)) {}

void WorkerPool::run(std::size_t count,
                     const std::function<void(std::size_t, apig::Client&)>& task) {
  if (count == 0 || clients_.empty()) {
    return;
  }
  BackgroundTasks batch(count, clients_.size(), [&](std::size_t i, std::size_t thread) {
    task(i, *clients_[thread].client);
  });
}

}  // namespace apig_certd::engine
