#include "daemon/core/duration.h"

#include <gtest/gtest.h>

namespace apig_certd::duration_test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

struct GoodCase {
  const char* text;
  Duration expected;
};

class DurationParsesValid : public ::testing::TestWithParam<GoodCase> {};

TEST_P(DurationParsesValid, ToMilliseconds) {
  const Result<Duration> parsed = parse_duration(GetParam().text);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(*parsed, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Units, DurationParsesValid,
                         ::testing::Values(GoodCase{"90s", seconds(90)},
                                           GoodCase{"10m", minutes(10)}, GoodCase{"2h", hours(2)},
                                           GoodCase{"30d", hours(30 * 24)},
                                           GoodCase{"500ms", milliseconds(500)},
                                           GoodCase{"90", seconds(90)}, GoodCase{"0", seconds(0)},
                                           GoodCase{"0s", seconds(0)},
                                           GoodCase{"1h30m", minutes(90)},
                                           GoodCase{"1m30s250ms", milliseconds(90'250)}));

struct BadCase {
  const char* text;
  const char* why;
};

class DurationRejectsInvalid : public ::testing::TestWithParam<BadCase> {};

TEST_P(DurationRejectsInvalid, WithReason) {
  const Result<Duration> parsed = parse_duration(GetParam().text);
  ASSERT_FALSE(parsed) << GetParam().text;
  EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(parsed.error().message().find(GetParam().why), std::string::npos)
      << parsed.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DurationRejectsInvalid,
    ::testing::Values(BadCase{"", "empty"}, BadCase{"-1s", "negative"},
                      BadCase{"10x", "unknown unit 'x'"}, BadCase{"s", "number is missing"},
                      BadCase{"1h30", "no unit"}, BadCase{"1.5h", "unknown unit '.5h'"},
                      BadCase{"99999999999999999999s", "too large"},
                      BadCase{"9999999999999999d", "too large"}, BadCase{" 5s", "missing"},
                      BadCase{"5 s", "unknown unit ' s'"}));

TEST(FormatDuration, ShortestExactSpelling) {
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(minutes(90)), "1h30m");
  EXPECT_EQ(format_duration(hours(21 * 24)), "21d");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1s500ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (const Duration duration : {Duration(1), Duration(61'001), Duration(86'400'000 * 3L)}) {
    const Result<Duration> parsed = parse_duration(format_duration(duration));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, duration);
  }
}

}  // namespace
}  // namespace apig_certd::duration_test
