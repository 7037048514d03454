#pragma once

// Durations as operators write them in the config: "90s", "10m", "2h", "30d", "500ms",
// combinations such as "1h30m", or a plain number of seconds ("90").

#include <chrono>
#include <string>
#include <string_view>

#include "daemon/core/result.h"

namespace apig_certd {

using Duration = std::chrono::milliseconds;

// Parses a duration. Units: ms, s, m, h, d. Errors (InvalidArgument) name what is wrong:
// empty text, a negative sign, a missing or unknown unit, a number without digits, overflow.
Result<Duration> parse_duration(std::string_view text);

// The shortest exact spelling, e.g. 5400000ms -> "1h30m", 0 -> "0s", 1500ms -> "1s500ms".
std::string format_duration(Duration duration);

}  // namespace apig_certd
