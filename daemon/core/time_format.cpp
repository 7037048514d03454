// UTC formatting with gmtime_r (gmtime is not thread-safe). time_t is 64-bit on every
// platform we build for, so certificates valid past 2038 format correctly.

#include "daemon/core/time_format.h"

#include <array>
#include <ctime>
#include <string>

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
  const std::size_t length =
      std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
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

Result<SystemTime> parse_utc_iso8601(std::string_view text) {
  const auto invalid = [&] {
    return fail(ErrorCode::ParseError, "invalid UTC time '" + std::string(text.substr(0, 40)) +
                                           "' (expected e.g. 2020-01-04T09:05:22Z)");
  };
  // YYYY-MM-DDTHH:MM:SS then optional .fraction, then Z.
  constexpr std::size_t kBaseLength = 19;
  if (text.size() < kBaseLength + 1 || text.back() != 'Z') {
    return invalid();
  }
  const auto number = [&](std::size_t start, std::size_t length, int& out) {
    out = 0;
    for (std::size_t i = start; i < start + length; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return false;
      }
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  std::tm parts{};
  int year = 0;
  int month = 0;
  if (!number(0, 4, year) || text[4] != '-' || !number(5, 2, month) || text[7] != '-' ||
      !number(8, 2, parts.tm_mday) || text[10] != 'T' || !number(11, 2, parts.tm_hour) ||
      text[13] != ':' || !number(14, 2, parts.tm_min) || text[16] != ':' ||
      !number(17, 2, parts.tm_sec)) {
    return invalid();
  }
  std::string_view rest = text.substr(kBaseLength, text.size() - kBaseLength - 1);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2 ||
        rest.substr(1).find_first_not_of("0123456789") != std::string_view::npos) {
      return invalid();
    }
  }
  if (month < 1 || month > 12 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 ||
      parts.tm_min > 59 || parts.tm_sec > 60) {
    return invalid();
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  const std::tm requested = parts;
  const std::time_t seconds = timegm(&parts);
  // timegm normalises impossible dates (Feb 30 -> Mar 2); reject those.
  if (parts.tm_mday != requested.tm_mday || parts.tm_mon != requested.tm_mon) {
    return invalid();
  }
  // SystemTime counts nanoseconds: about the years 1678 to 2262.
  const auto limit =
      std::chrono::duration_cast<std::chrono::seconds>(SystemTime::duration::max()).count();
  if (seconds > limit || seconds < -limit) {
    return fail(ErrorCode::ParseError, "UTC time '" + std::string(text.substr(0, 40)) +
                                           "' is outside the years 1678 to 2262");
  }
  return std::chrono::system_clock::from_time_t(seconds);
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
