// Duration parsing and formatting.
//
// A duration is a sequence of <digits><unit> terms ("1h30m"); a bare number means seconds,
// because DESIGN.md §3 allows "an integer of seconds". Everything is checked for overflow in
// 64-bit milliseconds before it is multiplied or added, so "99999999999999d" is an error and
// never a negative timeout.

#include "daemon/core/duration.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace apig_certd {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Longest suffix first, so "ms" wins over "m".
constexpr std::array<Unit, 5> kUnits{{
    {"ms", 1},
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
}};

// The unit `rest` starts with; nullptr when none.
const Unit* unit_at(std::string_view rest) {
  const auto* found = std::find_if(kUnits.begin(), kUnits.end(),
                                   [&](const Unit& unit) { return rest.starts_with(unit.suffix); });
  return found == kUnits.end() ? nullptr : found;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Result<Duration> invalid(std::string_view text, std::string_view why) {
  return fail(ErrorCode::InvalidArgument,
              "invalid duration '" + std::string(text) + "': " + std::string(why) +
                  R"( (expected e.g. "90s", "10m", "2h", "30d" or whole seconds))");
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) {
    return invalid(text, "it is empty");
  }
  if (text.front() == '-') {
    return invalid(text, "it is negative");
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_start = position;
    while (position < text.size() && is_digit(text[position])) {
      const auto digit = static_cast<std::int64_t>(text[position] - '0');
      if (number > (kMax - digit) / 10) {
        return invalid(text, "it is too large");
      }
      number = number * 10 + digit;
      ++position;
    }
    if (position == digits_start) {
      return invalid(text,
                     "a number is missing before '" + std::string(text.substr(position)) + "'");
    }
    std::int64_t unit_ms = 0;
    if (position == text.size()) {
      if (digits_start != 0) {
        return invalid(text, "the last number has no unit");
      }
      unit_ms = 1'000;  // A bare number is seconds.
    } else {
      const Unit* unit = unit_at(text.substr(position));
      if (unit == nullptr) {
        return invalid(text, "unknown unit '" + std::string(text.substr(position)) +
                                 "' (units: ms, s, m, h, d)");
      }
      unit_ms = unit->milliseconds;
      position += unit->suffix.size();
    }
    if (number > kMax / unit_ms || total > kMax - number * unit_ms) {
      return invalid(text, "it is too large");
    }
    total += number * unit_ms;
  }
  return Duration(total);
}

std::string format_duration(Duration duration) {
  std::int64_t remaining = duration.count();
  if (remaining == 0) {
    return "0s";
  }
  std::string text;
  if (remaining < 0) {
    text = "-";
    remaining = -remaining;
  }
  // Largest unit first; "ms" last.
  constexpr std::array<Unit, 5> kOrder{{
      {"d", 86'400'000},
      {"h", 3'600'000},
      {"m", 60'000},
      {"s", 1'000},
      {"ms", 1},
  }};
  for (const Unit& unit : kOrder) {
    const std::int64_t count = remaining / unit.milliseconds;
    if (count > 0) {
      text += std::to_string(count);
      text += unit.suffix;
      remaining -= count * unit.milliseconds;
    }
  }
  return text;
}

}  // namespace apig_certd
