// UTC formatting with gmtime_r (gmtime is not thread-safe). time_t is 64-bit on every
// platform we build for, so certificates valid past 2038 format correctly.

#include "daemon/core/time_format.h"

#include <array>
#include <ctime>

namespace apig_certd {

namespace {

// Breaks a time into UTC calendar parts; false when the time cannot be represented.
bool utc_parts(SystemTime time, std::tm& parts) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  return gmtime_r(&seconds, &parts) != nullptr;
}

}  // namespace

std::string format_utc_iso8601(SystemTime time) {
  std::tm parts{};
  if (!utc_parts(time, parts)) {
    return "(invalid time)";
  }
  std::array<char, 32> buffer{};
  const std::size_t length = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return {buffer.data(), length};
}

std::string format_utc_date(SystemTime time) {
  std::tm parts{};
  if (!utc_parts(time, parts)) {
    return "(invalid time)";
  }
  std::array<char, 32> buffer{};
  const std::size_t length = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%d", &parts);
  return {buffer.data(), length};
}

long days_until(SystemTime now, SystemTime until) {
  const long difference = std::chrono::duration_cast<std::chrono::seconds>(until - now).count();
  constexpr long kSecondsPerDay = 86'400;
  // Round toward negative infinity so "expired 2 hours ago" is -1, not 0.
  long days = difference / kSecondsPerDay;
  if (difference < 0 && difference % kSecondsPerDay != 0) {
    --days;
  }
  return days;
}

}  // namespace apig_certd
