#include "daemon/core/time_format.h"

#include <gtest/gtest.h>

namespace apig_certd {
namespace {

SystemTime at(std::int64_t seconds) { return SystemTime(std::chrono::seconds(seconds)); }

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
