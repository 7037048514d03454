// read_small_file(): files read whole at exactly the size fstat reports, longer than it
// reports (a /proc file says 0), and refused one byte past the limit either way.

#include "daemon/settings/file_reader.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::settings::file_reader_test {
namespace {

TEST(ReadSmallFileTest, ReadsUpToTheLimitAndRefusesOneByteMore) {
  testing::TempDir temp_dir;
  const std::string exact(1000, 'x');
  const auto at_limit = temp_dir.write("at-limit", exact);
  const auto over = temp_dir.write("over", exact + "y");
  const Result<FileContent> read = read_small_file(at_limit, 1000, "file 'at-limit'");
  ASSERT_TRUE(read) << read.error().to_string();
  EXPECT_EQ(read->bytes, exact);
  const Result<FileContent> refused = read_small_file(over, 1000, "file 'over'");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(refused.error().message(), "file 'over' is larger than 1000 bytes");
  const Result<FileContent> empty = read_small_file(temp_dir.write("empty", ""), 10, "empty");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->bytes, "");
}

TEST(ReadSmallFileTest, AFileLongerThanFstatSaysIsReadWholeOrRefused) {
  // procfs reports st_size 0 for a regular file of several hundred bytes.
  const Result<FileContent> status = read_small_file("/proc/self/status", 64 * 1024, "status");
  ASSERT_TRUE(status) << status.error().to_string();
  EXPECT_TRUE(status->bytes.starts_with("Name:")) << status->bytes;
  EXPECT_NE(status->bytes.find("\nVmRSS:"), std::string::npos);
  const Result<FileContent> refused = read_small_file("/proc/self/status", 100, "status");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "status is larger than 100 bytes");
}

}  // namespace
}  // namespace apig_certd::settings::file_reader_test
