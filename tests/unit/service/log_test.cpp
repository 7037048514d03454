#include "daemon/service/log.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace apig_certd::service::log_test {
namespace {

std::string contents(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr) {
    text += buffer;
  }
  return text;
}

TEST(StreamLog, WritesTimeLevelMessageAndFields) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  const testing::FakeClock clock;
  StreamLog log(LogLevel::Info, file, clock);
  log.write(LogLevel::Warn, "expires soon", {{"BINDING", "www"}, {"DOMAIN", "www.example.com"}});
  const std::string text = contents(file);
  std::fclose(file);
  EXPECT_TRUE(text.ends_with(" warning: expires soon [binding=www, domain=www.example.com]\n"))
      << text;
  EXPECT_TRUE(text.starts_with("2025-")) << text;  // the fake clock's year
}

TEST(StreamLog, DropsLinesBelowTheThreshold) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  const testing::FakeClock clock;
  StreamLog log(LogLevel::Warn, file, clock);
  log.write(LogLevel::Info, "quiet");
  log.write(LogLevel::Error, "loud");
  log.set_threshold(LogLevel::Debug);
  log.write(LogLevel::Debug, "now shown");
  const std::string text = contents(file);
  std::fclose(file);
  EXPECT_EQ(text.find("quiet"), std::string::npos);
  EXPECT_NE(text.find("error: loud"), std::string::npos);
  EXPECT_NE(text.find("debug: now shown"), std::string::npos);
}

TEST(Log, JournalOnlyWhenJournalStreamMatchesStderr) {
  Environment environment;
  EXPECT_FALSE(stderr_is_journal(environment));
  environment.set("JOURNAL_STREAM", "1:2");
  EXPECT_FALSE(stderr_is_journal(environment));
  const testing::FakeClock clock;
  EXPECT_NE(dynamic_cast<StreamLog*>(make_log(environment, LogLevel::Info, clock).get()), nullptr);
}

}  // namespace
}  // namespace apig_certd::service::log_test
