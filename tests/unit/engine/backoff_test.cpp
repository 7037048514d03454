#include "daemon/engine/backoff.h"

#include <gtest/gtest.h>

namespace apig_certd::engine::backoff_test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST(Backoff, CeilingDoublesToTheMax) {
  EXPECT_EQ(backoff_ceiling(0, seconds(5), hours(1)), seconds(5));
  EXPECT_EQ(backoff_ceiling(1, seconds(5), hours(1)), seconds(10));
  EXPECT_EQ(backoff_ceiling(3, seconds(5), hours(1)), seconds(40));
  EXPECT_EQ(backoff_ceiling(10, seconds(5), hours(1)), hours(1));
  EXPECT_EQ(backoff_ceiling(100000, seconds(5), hours(1)), hours(1));
  EXPECT_EQ(backoff_ceiling(0, hours(2), hours(1)), hours(1));
}

TEST(Backoff, FullJitterSpansZeroToCeiling) {
  EXPECT_EQ(backoff_delay(2, seconds(5), hours(1), 0.0), Duration(1));
  EXPECT_EQ(backoff_delay(2, seconds(5), hours(1), 0.5), seconds(10));
  EXPECT_LE(backoff_delay(2, seconds(5), hours(1), 0.999999), seconds(20));
  EXPECT_EQ(backoff_delay(2, seconds(5), hours(1), 7.0), seconds(20));  // Clamped.
}

TEST(Backoff, RetryAfterWinsWhenLongerButCapped) {
  EXPECT_EQ(with_retry_after(seconds(3), seconds(10), hours(1)), seconds(10));
  EXPECT_EQ(with_retry_after(seconds(30), seconds(10), hours(1)), seconds(30));
  EXPECT_EQ(with_retry_after(seconds(3), hours(5), hours(1)), hours(1));
  EXPECT_EQ(with_retry_after(seconds(3), std::nullopt, hours(1)), seconds(3));
}

}  // namespace
}  // namespace apig_certd::engine::backoff_test
