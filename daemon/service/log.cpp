// service::Log: an spdlog::logger of our own (never registered: no global named loggers) with
// one sink of ours, stderr lines or journal entries, and the choice between them.
//
// spdlog 1.10's log_msg carries no attributes, so the fields of a line travel beside it. The
// logger is synchronous: a sink runs inside write(), on the caller's thread. Under mutex_,
// write() points the sink's hand-off at the line's fields for the duration of the one spdlog
// call, and sink_it_ of that same message reads them; the text never carries them. The
// threshold is the logger's level, an atomic in spdlog, so a reload on the loop thread may
// change it while webhook threads log.
//
// Both sinks format for themselves and ignore spdlog's pattern formatter: the stderr line has
// a fixed shape that tests and operators' scripts match, timed by the injected Clock rather
// than by log_msg::time (the system clock), and a journal entry is a list of fields.
// sd_journal_sendv(3) takes each field as one iovec, so a value with a newline stays one
// field (the library switches to the journal's binary-safe encoding for it).

#include "daemon/service/log.h"

#include <algorithm>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "daemon/core/ascii.h"
#include "daemon/core/time_format.h"

namespace apig_certd::service {

namespace {

// Our levels are spdlog's first five, in the same order.
static_assert(static_cast<int>(LogLevel::Trace) == spdlog::level::trace &&
              static_cast<int>(LogLevel::Debug) == spdlog::level::debug &&
              static_cast<int>(LogLevel::Info) == spdlog::level::info &&
              static_cast<int>(LogLevel::Warn) == spdlog::level::warn &&
              static_cast<int>(LogLevel::Error) == spdlog::level::err);

spdlog::level::level_enum spdlog_level(LogLevel level) {
  return static_cast<spdlog::level::level_enum>(level);
}

LogLevel log_level(spdlog::level::level_enum level) {
  return static_cast<LogLevel>(std::min(level, spdlog::level::err));
}

int priority(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
    case LogLevel::Debug:
      return LOG_DEBUG;
    case LogLevel::Info:
      return LOG_INFO;
    case LogLevel::Warn:
      return LOG_WARNING;
    case LogLevel::Error:
      return LOG_ERR;
  }
  return LOG_INFO;
}

std::string_view payload(const spdlog::details::log_msg& message) {
  return {message.payload.data(), message.payload.size()};
}

}  // namespace

// A sink that also receives the LogFields of each line logged through Log::write.
class FieldSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  // The fields of the message sink_it_ is handling.
  [[nodiscard]] std::span<const LogField> fields() const { return fields_; }

 private:
  friend class Log;
  std::span<const LogField> fields_;
};

namespace {

// "TIME LEVEL: message [name=value, ...]" lines, the time from `clock`, each line flushed.
class StreamSink final : public FieldSink {
 public:
  StreamSink(std::FILE* stream, const Clock& clock) : stream_(stream), clock_(clock) {}

 private:
  void sink_it_(const spdlog::details::log_msg& message) override {
    std::string line = format_utc_iso8601(clock_.now());
    line += ' ';
    line += level_word(log_level(message.level));
    line += ": ";
    line += payload(message);
    const char* separator = " [";
    for (const LogField& field : fields()) {
      line += separator + ascii_lower(field.name) + "=" + field.value;
      separator = ", ";
    }
    line += fields().empty() ? "\n" : "]\n";
    std::fputs(line.c_str(), stream_);
    std::fflush(stream_);
  }
  void flush_() override { std::fflush(stream_); }

  std::FILE* stream_;
  const Clock& clock_;
};

// One journal entry per line (journal_fields), handed to `send`.
class JournalSink final : public FieldSink {
 public:
  explicit JournalSink(JournalSender send) : send_(std::move(send)) {}

 private:
  void sink_it_(const spdlog::details::log_msg& message) override {
    send_(journal_fields(log_level(message.level), payload(message), fields()));
  }
  void flush_() override {}

  JournalSender send_;
};

}  // namespace

std::string_view level_word(LogLevel level) {
  return level == LogLevel::Warn ? "warning" : settings::to_string(level);
}

Log::Log(LogLevel threshold, std::shared_ptr<FieldSink> sink)
    : sink_(std::move(sink)), logger_(std::make_unique<spdlog::logger>("apig-certd", sink_)) {
  logger_->set_level(spdlog_level(threshold));
}

Log::~Log() = default;

void Log::write(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (!enabled(level)) {
    return;
  }
  const std::lock_guard lock(mutex_);
  sink_->fields_ = fields;
  logger_->log(spdlog_level(level), spdlog::string_view_t(message.data(), message.size()));
  sink_->fields_ = {};
}

void Log::set_threshold(LogLevel threshold) {
  logger_->set_level(spdlog_level(threshold));
}

bool Log::enabled(LogLevel level) const {
  return logger_->should_log(spdlog_level(level));
}

std::vector<std::string> journal_fields(LogLevel level, std::string_view message,
                                        std::span<const LogField> fields) {
  std::vector<std::string> entry;
  entry.reserve(fields.size() + 3);
  entry.push_back("MESSAGE=" + std::string(message));
  entry.push_back("PRIORITY=" + std::to_string(priority(level)));
  entry.emplace_back("SYSLOG_IDENTIFIER=apig-certd");
  for (const LogField& field : fields) {
    entry.push_back(field.name + "=" + field.value);
  }
  return entry;
}

void send_to_journal(std::vector<std::string> entry) {
  std::vector<iovec> vectors;
  vectors.reserve(entry.size());
  for (std::string& field : entry) {
    vectors.push_back(iovec{field.data(), field.size()});
  }
  ::sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
}

std::unique_ptr<Log> make_stream_log(LogLevel threshold, std::FILE* stream, const Clock& clock) {
  return std::make_unique<Log>(threshold, std::make_shared<StreamSink>(stream, clock));
}

std::unique_ptr<Log> make_journal_log(LogLevel threshold, JournalSender send) {
  return std::make_unique<Log>(threshold, std::make_shared<JournalSink>(std::move(send)));
}

bool stderr_is_journal(const Environment& environment) {
  const std::optional<std::string> stream = environment.get("JOURNAL_STREAM");
  if (!stream) {
    return false;
  }
  struct stat info {};
  if (::fstat(2, &info) != 0) {
    return false;
  }
  return *stream == std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

std::unique_ptr<Log> make_log(const Environment& environment, LogLevel threshold,
                              const Clock& clock, JournalSender send) {
  if (stderr_is_journal(environment)) {
    return make_journal_log(threshold, std::move(send));
  }
  return make_stream_log(threshold, stderr, clock);
}

}  // namespace apig_certd::service
