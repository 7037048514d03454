#include "daemon/service/log.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/fake_clock.h"

namespace apig_certd::service::log_test {
namespace {

using std::chrono::seconds;

std::string contents(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr) {
    text += buffer;
  }
  return text;
}

// A Log writing lines into a temporary file, timed by a fake clock.
class StreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(file_, nullptr); }
  void TearDown() override {
    if (file_ != nullptr) {
      std::fclose(file_);
    }
  }
  std::unique_ptr<Log> make(LogLevel threshold) {
    return make_stream_log(threshold, file_, clock_);
  }
  std::string text() { return contents(file_); }

  std::FILE* file_ = std::tmpfile();
  testing::FakeClock clock_{SystemTime(seconds(1'767'225'600))};  // 2026-01-01T00:00:00Z
};

TEST_F(StreamLogTest, WritesTheClocksTimeTheLevelTheMessageAndTheFields) {
  const std::unique_ptr<Log> log = make(LogLevel::Info);
  log->write(LogLevel::Warn, "expires soon", {{"BINDING", "www"}, {"DOMAIN", "www.example.com"}});
  clock_.advance(std::chrono::milliseconds(61'500));
  log->write(LogLevel::Info, "no fields");
  EXPECT_EQ(text(),
            "2026-01-01T00:00:00Z warning: expires soon [binding=www, domain=www.example.com]\n"
            "2026-01-01T00:01:01Z info: no fields\n");
}

TEST_F(StreamLogTest, FieldsBelongToTheirOwnLineOnly) {
  const std::unique_ptr<Log> log = make(LogLevel::Trace);
  log->write(LogLevel::Error, "failed", {{"APIG_ERROR_CODE", "APIG.2012"}});
  log->write(LogLevel::Trace, "next");
  EXPECT_EQ(text(),
            "2026-01-01T00:00:00Z error: failed [apig_error_code=APIG.2012]\n"
            "2026-01-01T00:00:00Z trace: next\n");
}

TEST_F(StreamLogTest, DropsLinesBelowTheThreshold) {
  const std::unique_ptr<Log> log = make(LogLevel::Warn);
  EXPECT_FALSE(log->enabled(LogLevel::Info));
  EXPECT_TRUE(log->enabled(LogLevel::Warn));
  log->write(LogLevel::Info, "quiet");
  log->write(LogLevel::Error, "loud");
  log->set_threshold(LogLevel::Debug);
  EXPECT_TRUE(log->enabled(LogLevel::Debug));
  EXPECT_FALSE(log->enabled(LogLevel::Trace));
  log->write(LogLevel::Debug, "now shown");
  log->write(LogLevel::Trace, "still hidden");
  log->set_threshold(LogLevel::Error);
  log->write(LogLevel::Warn, "hidden again");
  EXPECT_EQ(text(),
            "2026-01-01T00:00:00Z error: loud\n"
            "2026-01-01T00:00:00Z debug: now shown\n");
}

TEST(JournalFields, PriorityMessageIdentifierThenTheLinesFields) {
  const std::vector<LogField> fields{{"BINDING", "www"}, {"CERT_SHA256", "ab12"}};
  EXPECT_EQ(journal_fields(LogLevel::Warn, "expires soon", fields),
            (std::vector<std::string>{"MESSAGE=expires soon", "PRIORITY=4",
                                      "SYSLOG_IDENTIFIER=apig-certd", "BINDING=www",
                                      "CERT_SHA256=ab12"}));
  EXPECT_EQ(journal_fields(LogLevel::Trace, "m", {})[1], "PRIORITY=7");
  EXPECT_EQ(journal_fields(LogLevel::Debug, "m", {})[1], "PRIORITY=7");
  EXPECT_EQ(journal_fields(LogLevel::Info, "m", {})[1], "PRIORITY=6");
  EXPECT_EQ(journal_fields(LogLevel::Error, "m", {})[1], "PRIORITY=3");
}

TEST(JournalFields, AValueWithANewlineStaysOneField) {
  const std::vector<LogField> fields{{"APIG_ERROR_MESSAGE", "first\nsecond"}};
  const std::vector<std::string> entry = journal_fields(LogLevel::Error, "two\nlines", fields);
  ASSERT_EQ(entry.size(), 4U);
  EXPECT_EQ(entry[0], "MESSAGE=two\nlines");
  EXPECT_EQ(entry[3], "APIG_ERROR_MESSAGE=first\nsecond");
}

TEST(JournalLog, EachLineReachesTheJournalWithItsOwnFieldsAndPriority) {
  std::vector<std::vector<std::string>> sent;
  const std::unique_ptr<Log> log = make_journal_log(
      LogLevel::Info, [&sent](std::vector<std::string> entry) { sent.push_back(entry); });
  const std::vector<LogField> fields{{"BINDING", "www"}, {"DOMAIN", "www.example.com"}};
  log->write(LogLevel::Warn, "expires soon", fields);
  log->write(LogLevel::Debug, "filtered");
  log->write(LogLevel::Info, "started");
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0], journal_fields(LogLevel::Warn, "expires soon", fields));
  EXPECT_EQ(sent[1], journal_fields(LogLevel::Info, "started", {}));
}

TEST(Log, JournalOnlyWhenJournalStreamMatchesStderr) {
  Environment environment;
  EXPECT_FALSE(stderr_is_journal(environment));
  environment.set("JOURNAL_STREAM", "1:2");
  EXPECT_FALSE(stderr_is_journal(environment));
}

TEST(Log, MakeLogWritesStderrLinesUnlessStderrIsTheJournal) {
  const testing::FakeClock clock;
  Environment environment;
  std::vector<std::vector<std::string>> sent;
  const JournalSender record = [&sent](std::vector<std::string> entry) { sent.push_back(entry); };
  ::testing::internal::CaptureStderr();
  make_log(environment, LogLevel::Info, clock, record)->write(LogLevel::Info, "to stderr");
  // CaptureStderr put a file on fd 2: name it as the journal stream.
  struct stat info {};
  ASSERT_EQ(::fstat(2, &info), 0);
  environment.set("JOURNAL_STREAM",
                  std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino));
  make_log(environment, LogLevel::Info, clock, record)->write(LogLevel::Info, "to the journal");
  const std::string text = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(text.find(" info: to stderr\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("to the journal"), std::string::npos) << text;
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0][0], "MESSAGE=to the journal");
}

}  // namespace
}  // namespace apig_certd::service::log_test
