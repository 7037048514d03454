#pragma once

// WorkerPool: runs a batch of independent API tasks with at most N in flight, each worker
// thread with its own APIG client (transports are not thread-safe; the authenticator behind
// them is shared and is). The threads live for one batch; the clients, and so their
// keep-alive connections, for the whole pass.

#include <cstddef>
#include <functional>
#include <vector>

#include "daemon/apig/client.h"

namespace apig_certd::engine {

class WorkerPool {
 public:
  explicit WorkerPool(std::vector<apig::ClientHandle> clients);

  [[nodiscard]] std::size_t size() const { return clients_.size(); }

  // Calls task(i, client) for i in [0, count), in parallel, and returns when all are done.
  // Tasks must not throw.
  void run(std::size_t count, const std::function<void(std::size_t, apig::Client&)>& task);

  // Gives the clients back (with their open connections) for the next pass.
  std::vector<apig::ClientHandle> take_clients() { return std::move(clients_); }

 private:
  std::vector<apig::ClientHandle> clients_;
};

}  // namespace apig_certd::engine
