#pragma once

// RetryBudget: how long a pass keeps trying, shared by its reads, writes, polls and probes.
// A deadline on the monotonic clock (poll.timeout, or the daemon's shorter retry_deadline),
// exponential backoff with full jitter (backoff.h) honouring Retry-After, and the daemon's
// stop signal. Every sleep goes through the injectable clock, so a test with a fake clock
// drives a backoff of minutes in no time. Thread-safe: the pass's workers share one.

#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/error.h"
#include "daemon/core/stop_signal.h"
#include "daemon/settings/settings.h"

namespace apig_certd::engine {

class RetryBudget {
 public:
  // The pass keeps retrying for `pass_limit` from now (the daemon's short passes) or else
  // `poll_timeout`; `stop` may be null.
  RetryBudget(const Clock& clock, const settings::RetrySettings& retry,
              std::optional<Duration> pass_limit, Duration poll_timeout, std::mt19937_64& random,
              StopSignal* stop);

  // Sleeps the backoff of retry number `attempt` (0 for the first) after `error`; false,
  // without sleeping, when that would pass the deadline or the daemon is stopping.
  bool back_off(int attempt, const Error& error);
  // Sleeps `delay` when that ends before the deadline; false when it would not, or a stop
  // cut it short.
  bool wait(Duration delay);
  [[nodiscard]] bool stopping() const { return stop_ != nullptr && stop_->requested(); }
  // Why a retried failure is given up, for its message.
  [[nodiscard]] std::string giving_up() const;

 private:
  const Clock& clock_;
  const settings::RetrySettings& retry_;
  std::optional<Duration> pass_limit_;
  MonotonicTime deadline_;
  std::mutex random_mutex_;
  std::mt19937_64& random_;
  StopSignal* stop_;
};

}  // namespace apig_certd::engine
