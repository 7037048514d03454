#include "daemon/settings/headers_file.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::settings::headers_file_test {
namespace {

TEST(HeadersFile, NameValueLinesWithCommentsAndBlankLines) {
  const ParsedHeaders parsed = parse_headers(
      "# the webhook's token\n\nAuthorization:  Bearer abc def \r\nX-Team:platform\n  # "
      "indented\n");
  EXPECT_TRUE(parsed.problems.empty());
  ASSERT_EQ(parsed.headers.size(), 2U);
  EXPECT_EQ(parsed.headers[0].name, "Authorization");
  EXPECT_EQ(parsed.headers[0].value.view(), "Bearer abc def");
  EXPECT_EQ(parsed.headers[1].name, "X-Team");
  EXPECT_EQ(parsed.headers[1].value.view(), "platform");
}

TEST(HeadersFile, AValueMayHoldColons) {
  const ParsedHeaders parsed = parse_headers("X-Url: https://a:b@c\n");
  ASSERT_EQ(parsed.headers.size(), 1U);
  EXPECT_EQ(parsed.headers[0].value.view(), "https://a:b@c");
}

TEST(HeadersFile, InvalidLinesAreNamedByNumberWithoutTheirValue) {
  const ParsedHeaders parsed = parse_headers(
      "Good: yes\nno colon here canary1\nBad Name: canary2\nEmpty:\nContent-Type: text/plain\n"
      "X-Ctl: a\x01\x62\n");
  ASSERT_EQ(parsed.problems.size(), 5U);
  EXPECT_EQ(parsed.problems[0].line, 2);
  EXPECT_EQ(parsed.problems[1].line, 3);
  EXPECT_EQ(parsed.problems[2].line, 4);
  EXPECT_EQ(parsed.problems[3].line, 5);
  EXPECT_NE(parsed.problems[3].message.find("Content-Type"), std::string::npos);
  EXPECT_EQ(parsed.problems[4].line, 6);
  for (const HeaderProblem& problem : parsed.problems) {
    EXPECT_EQ(problem.message.find("canary"), std::string::npos) << problem.message;
  }
  EXPECT_EQ(parsed.headers.size(), 1U);
}

TEST(HeadersFile, ReadingNamesFileAndLine) {
  testing::TempDir dir;
  const auto path = dir.write("headers", "# comment\nX-Ok: 1\nbroken-line-secret\n");
  const Result<std::vector<HeaderLine>> read = read_headers_file(path, Environment());
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(read.error().to_string().find("headers_file '" + path.string() + "':3: "),
            std::string::npos)
      << read.error().to_string();
  EXPECT_EQ(read.error().to_string().find("broken-line-secret"), std::string::npos);
}

TEST(HeadersFile, AFileOthersCanReadIsRefused) {
  testing::TempDir dir;
  namespace fs = std::filesystem;
  const auto path = dir.write("headers", "Authorization: Bearer x\n",
                              fs::perms::owner_read | fs::perms::owner_write |
                                  fs::perms::group_read | fs::perms::others_read);
  const Result<std::vector<HeaderLine>> read = read_headers_file(path, Environment());
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::PermissionDenied);
}

}  // namespace
}  // namespace apig_certd::settings::headers_file_test
