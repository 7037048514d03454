#include "daemon/core/time_format.h"

#include <gtest/gtest.h>

namespace apig_certd {
namespace {

SystemTime at(std::int64_t epoch_seconds) {
  return SystemTime(std::chrono::seconds(epoch_seconds));
}

TEST(TimeFormat, Iso8601Utc) {
  EXPECT_EQ(format_utc_iso8601(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc_iso8601(at(2'147'483'647)), "2038-01-19T03:14:07Z");
  EXPECT_EQ(format_utc_iso8601(at(2'147'483'648)), "2038-01-19T03:14:08Z");
  EXPECT_EQ(format_utc_date(at(1'785'499'200)), "2026-07-31");
}

TEST(TimeFormat, DaysUntilRoundsDown) {
  EXPECT_EQ(days_until(at(0), at(86'400 * 3 + 5)), 3);
  EXPECT_EQ(days_until(at(0), at(86'399)), 0);
  EXPECT_EQ(days_until(at(86'400), at(86'400 - 7200)), -1);
  EXPECT_EQ(days_until(at(0), at(-86'400)), -1);
}

}  // namespace
}  // namespace apig_certd

namespace apig_certd {
namespace {

TEST(ParseUtcIso8601, AcceptsSecondsAndFractions) {
  const Result<SystemTime> plain = parse_utc_iso8601("2020-01-04T09:05:22Z");
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(format_utc_iso8601(*plain), "2020-01-04T09:05:22Z");
  const Result<SystemTime> fraction = parse_utc_iso8601("2020-01-04T09:05:22.701000Z");
  ASSERT_TRUE(fraction);
  EXPECT_EQ(*fraction, *plain);
  EXPECT_EQ(format_utc_iso8601(*parse_utc_iso8601("2040-02-29T00:00:00Z")), "2040-02-29T00:00:00Z");
}

TEST(ParseUtcIso8601, RejectsYearsSystemTimeCannotHold) {
  // Found by the state_json fuzz target: from_time_t overflowed for the year 4052.
  for (const char* text :
       {"4052-11-28T22:52:57Z", "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"}) {
    const Result<SystemTime> time = parse_utc_iso8601(text);
    ASSERT_FALSE(time) << text;
    EXPECT_NE(time.error().message().find("outside the years 1678 to 2262"), std::string::npos);
  }
  EXPECT_TRUE(parse_utc_iso8601("2262-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_utc_iso8601("1678-12-31T00:00:00Z"));
}

TEST(ParseUtcIso8601, RejectsOtherShapes) {
  for (const char* text : {"", "2020-01-04", "2020-01-04T09:05:22", "2020-01-04 09:05:22Z",
                           "2020-13-04T09:05:22Z", "2021-02-29T00:00:00Z", "2020-01-04T09:05:22.Z",
                           "2020-01-04T09:05:22+08:00", "20x0-01-04T09:05:22Z"}) {
    EXPECT_FALSE(parse_utc_iso8601(text)) << text;
  }
}

}  // namespace
}  // namespace apig_certd
