// Backoff arithmetic. Doubling stops as soon as the cap is reached, so a thousandth retry
// neither overflows nor loops a thousand times.

#include "daemon/engine/backoff.h"

#include <algorithm>
#include <cmath>

namespace apig_certd::engine {

Duration backoff_ceiling(int attempt, Duration initial, Duration max) {
  Duration ceiling = std::min(initial, max);
  for (int i = 0; i < attempt && ceiling < max; ++i) {
    ceiling = ceiling > max / 2 ? max : ceiling * 2;
  }
  return std::min(ceiling, max);
}

Duration backoff_delay(int attempt, Duration initial, Duration max, double unit_random) {
  const Duration ceiling = backoff_ceiling(attempt, initial, max);
  const double clamped = std::clamp(unit_random, 0.0, 1.0);
  const auto milliseconds =
      static_cast<Duration::rep>(std::floor(clamped * static_cast<double>(ceiling.count())));
  return std::max(Duration(1), Duration(std::min(milliseconds, ceiling.count())));
}

Duration with_retry_after(Duration delay, std::optional<Duration> retry_after, Duration max) {
  if (!retry_after || *retry_after <= delay) {
    return delay;
  }
  return std::min(*retry_after, max);
}

}  // namespace apig_certd::engine
