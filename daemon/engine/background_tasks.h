#pragma once

// BackgroundTasks: CPU work that runs beside the worker pool's network requests. A pass that
// parses bundles (a first start, renewals, a fleet-wide sync) used to queue the parsing behind
// the group reads on the pool's threads, which mostly wait on the network: the cores idled
// through the reads, then the reads' threads parsed. Started before the reads, the parsing
// runs on one thread per core while the reads are in flight. The worker pool's batches run on
// it too: each of its threads is told its index, which picks the thread's APIG client.

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace apig_certd::engine {

class BackgroundTasks {
 public:
  // Starts calling task(i, t) for every i in [0, count) on min(count, threads) new threads
  // (threads 0 counts as 1), t being the thread's index. Tasks must not throw.
  using Task = std::function<void(std::size_t index, std::size_t thread)>;
  BackgroundTasks(std::size_t count, std::size_t threads, Task task);
  // Waits for every task.
  ~BackgroundTasks() { wait(); }
  BackgroundTasks(const BackgroundTasks&) = delete;
  BackgroundTasks& operator=(const BackgroundTasks&) = delete;
  BackgroundTasks(BackgroundTasks&&) = delete;
  BackgroundTasks& operator=(BackgroundTasks&&) = delete;

  // Returns when every task has run.
  void wait();

 private:
  Task task_;
  std::size_t count_;
  std::atomic<std::size_t> next_{0};
  std::vector<std::jthread> threads_;
};

// One thread per core, as std::thread::hardware_concurrency() counts them (1 when unknown).
std::size_t core_count();

}  // namespace apig_certd::engine
