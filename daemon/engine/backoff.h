#pragma once

// Exponential backoff with full jitter (DESIGN.md §4.5): the n-th retry waits a uniformly
// random time in [0, min(max, initial * 2^n)]. "Full jitter" spreads retries of many targets
// (or many replicas) instead of having them hammer APIG in lock-step.

#include <optional>

#include "daemon/core/duration.h"

namespace apig_certd::engine {

// The cap for retry number `attempt` (0 for the first retry): min(max, initial * 2^attempt),
// without overflow for any attempt.
Duration backoff_ceiling(int attempt, Duration initial, Duration max);

// The delay for retry `attempt` given `unit_random` in [0, 1): a pure function, so tests pass
// the randomness in. At least 1 ms, so a retry never spins.
Duration backoff_delay(int attempt, Duration initial, Duration max, double unit_random);

// Honours a server's Retry-After (seconds) when it asks for longer than our delay, capped
// at `max`.
Duration with_retry_after(Duration delay, std::optional<Duration> retry_after, Duration max);

}  // namespace apig_certd::engine
