#pragma once

// Wall-clock times as text, always UTC: "2027-01-31T12:00:00Z" in state files and messages,
// "2027-01-31" where a day is enough.

#include <string>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"

namespace apig_certd {

// ISO 8601 UTC with seconds, e.g. "2027-01-31T12:00:00Z".
std::string format_utc_iso8601(SystemTime time);

// The UTC date, e.g. "2027-01-31".
std::string format_utc_date(SystemTime time);

// Parses "2020-01-04T09:05:22Z" or with a fraction "2020-01-04T09:05:22.701000Z" (UTC; the
// fraction is dropped). ParseError for any other shape or an impossible date.
Result<SystemTime> parse_utc_iso8601(std::string_view text);

// Whole days from `now` until `until`, rounded down; negative when `until` is in the past.
long days_until(SystemTime now, SystemTime until);

}  // namespace apig_certd
