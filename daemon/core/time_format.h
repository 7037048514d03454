#pragma once

// Wall-clock times as text, always UTC: "2027-01-31T12:00:00Z" in state files and messages,
// "2027-01-31" where a day is enough.

#include <string>

#include "daemon/core/clock.h"

namespace apig_certd {

// ISO 8601 UTC with seconds, e.g. "2027-01-31T12:00:00Z".
std::string format_utc_iso8601(SystemTime time);

// The UTC date, e.g. "2027-01-31".
std::string format_utc_date(SystemTime time);

// Whole days from `now` until `until`, rounded down; negative when `until` is in the past.
long days_until(SystemTime now, SystemTime until);

}  // namespace apig_certd
