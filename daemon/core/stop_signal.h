#pragma once

// StopSignal: "stop what you are doing", from the loop thread to the threads of a pass.
//
// A pass sleeps between retries and between CNAME polls; the daemon must be able to cut those
// sleeps short on SIGTERM without waiting out a backoff of up to retry.max. wait_for() is an
// interruptible sleep; requested() lets long loops check between steps. Once requested, it
// stays requested.

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "daemon/core/duration.h"

namespace apig_certd {

class StopSignal {
 public:
  StopSignal() = default;
  ~StopSignal() = default;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;
  StopSignal(StopSignal&&) = delete;
  StopSignal& operator=(StopSignal&&) = delete;

  void request() {
    {
      const std::lock_guard lock(mutex_);
      requested_.store(true);
    }
    wake_.notify_all();
  }

  [[nodiscard]] bool requested() const { return requested_.load(); }

  // Sleeps for `duration` unless a stop is requested first. True when the full time passed.
  bool wait_for(Duration duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return requested_.load(); });
  }

  // For code that can only poll a flag (e.g. libcurl's progress callback).
  [[nodiscard]] const std::atomic<bool>& flag() const { return requested_; }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> requested_{false};
};

}  // namespace apig_certd
