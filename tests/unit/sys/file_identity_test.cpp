// sys::is_racy() at its edges (pure: made-up identities and times, no sleeping) and
// observe_file() on real files and symlinks.

#include "daemon/sys/file_identity.h"

#include <chrono>
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::sys::file_identity_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::int64_t kSecond = 1'000'000'000;
// 2027-01-01T00:00:00Z in nanoseconds.
constexpr std::int64_t kChanged = 1'798'761'600 * kSecond;

SystemTime at_ns(std::int64_t ns) {
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(nanoseconds(ns)));
}

FileIdentity changed_at(std::int64_t mtime_ns, std::int64_t ctime_ns) {
  FileIdentity identity;
  identity.device = 2049;
  identity.inode = 1234;
  identity.size = 3000;
  identity.mtime_ns = mtime_ns;
  identity.ctime_ns = ctime_ns;
  return identity;
}

TEST(FileIdentityRacy, AFileChangedLongBeforeItWasObservedIsNotRacy) {
  EXPECT_FALSE(is_racy(changed_at(kChanged, kChanged), at_ns(kChanged + 3600 * kSecond)));
}

TEST(FileIdentityRacy, AFileChangedWithinTheWindowIsRacy) {
  const FileIdentity identity = changed_at(kChanged, kChanged);
  EXPECT_TRUE(is_racy(identity, at_ns(kChanged)));            // the same instant
  EXPECT_TRUE(is_racy(identity, at_ns(kChanged + 1)));        // one nanosecond later
  EXPECT_TRUE(is_racy(identity, at_ns(kChanged + kSecond)));  // inside the 2 s
  EXPECT_TRUE(is_racy(identity, at_ns(kChanged + 2 * kSecond - 1)));
  EXPECT_FALSE(is_racy(identity, at_ns(kChanged + 2 * kSecond)));  // exactly the window: safe
}

TEST(FileIdentityRacy, TheLaterOfMtimeAndCtimeCounts) {
  const SystemTime observed = at_ns(kChanged + 10 * kSecond);
  // chmod long after the last write: only the ctime is recent.
  EXPECT_TRUE(is_racy(changed_at(kChanged - 3600 * kSecond, kChanged + 9 * kSecond), observed));
  // An mtime set into the recent past with utimensat (the ctime is when that happened).
  EXPECT_TRUE(is_racy(changed_at(kChanged + 9 * kSecond, kChanged), observed));
  EXPECT_FALSE(is_racy(changed_at(kChanged, kChanged + 7 * kSecond), observed));
}

TEST(FileIdentityRacy, AChangeAfterTheObservationIsRacy) {
  // Another host's clock ahead (NFS), or this clock set back.
  EXPECT_TRUE(
      is_racy(changed_at(kChanged + 60 * kSecond, kChanged + 60 * kSecond), at_ns(kChanged)));
}

TEST(FileIdentityRacy, TheWindowIsAParameter) {
  const FileIdentity identity = changed_at(kChanged, kChanged);
  EXPECT_FALSE(is_racy(identity, at_ns(kChanged + kSecond), milliseconds(500)));
  EXPECT_TRUE(is_racy(identity, at_ns(kChanged + kSecond), seconds(5)));
  EXPECT_FALSE(is_racy(identity, at_ns(kChanged + 1), Duration::zero()));
}

TEST(FileIdentityRacy, ExtremeFileTimesDoNotOverflow) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  EXPECT_TRUE(is_racy(changed_at(max, max), at_ns(kChanged)));
  EXPECT_FALSE(is_racy(changed_at(min, min), at_ns(kChanged)));
}

class ObserveFileTest : public ::testing::Test {
 protected:
  testing::TempDir temp_dir_;
};

TEST_F(ObserveFileTest, ReportsWhatStatSaysThroughSymlinks) {
  const std::filesystem::path file = temp_dir_.write("archive/cert1.pem", "0123456789");
  std::filesystem::create_symlink("archive/cert1.pem", temp_dir_ / "cert.pem");
  const SystemTime before = std::chrono::system_clock::now();
  const Result<ObservedFile> direct = observe_file(file);
  const Result<ObservedFile> linked = observe_file(temp_dir_ / "cert.pem");
  ASSERT_TRUE(direct) << direct.error().to_string();
  ASSERT_TRUE(linked) << linked.error().to_string();
  EXPECT_EQ(direct->identity, linked->identity);
  EXPECT_EQ(direct->identity.size, 10);
  EXPECT_NE(direct->identity.inode, 0U);
  EXPECT_GT(direct->identity.mtime_ns, 0);
  EXPECT_GE(linked->observed_at, before);
  // A file written a moment ago is racy: what was read from it may change unnoticed.
  EXPECT_TRUE(is_racy(direct->identity, direct->observed_at));
}

TEST_F(ObserveFileTest, AMissingFileIsNotFound) {
  const Result<ObservedFile> missing = observe_file(temp_dir_ / "missing.pem");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
  EXPECT_NE(missing.error().to_string().find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace apig_certd::sys::file_identity_test
