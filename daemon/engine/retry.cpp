#include "daemon/engine/retry.h"

#include "daemon/core/time_format.h"
#include "daemon/engine/backoff.h"

namespace apig_certd::engine {

RetryBudget::RetryBudget(const Clock& clock, const settings::RetrySettings& retry,
                         std::optional<Duration> pass_limit, Duration poll_timeout,
                         std::mt19937_64& random, StopSignal* stop)
    : clock_(clock),
      retry_(retry),
      pass_limit_(pass_limit),
      deadline_(clock.monotonic_now() + pass_limit.value_or(poll_timeout)),
      random_(random),
      stop_(stop) {}

bool RetryBudget::back_off(int attempt, const Error& error) {
  double unit = 0;
  {
    const std::lock_guard lock(random_mutex_);
    unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  }
  const std::optional<Duration> retry_after =
      error.remote() ? error.remote()->retry_after : std::nullopt;
  return wait(with_retry_after(backoff_delay(attempt, retry_.initial, retry_.max, unit),
                               retry_after, retry_.max));
}

bool RetryBudget::wait(Duration delay) {
  if (clock_.monotonic_now() + delay >= deadline_ || stopping()) {
    return false;
  }
  return clock_.sleep_for(delay, stop_);
}

std::string RetryBudget::giving_up() const {
  if (stopping()) {
    return "not retried: apig-certd is stopping";
  }
  return pass_limit_ ? "giving up for this pass after " + format_duration(*pass_limit_) +
                           " (retried on the backoff schedule)"
                     : "giving up after poll.timeout";
}

}  // namespace apig_certd::engine
