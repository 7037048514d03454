#include "daemon/service/log.h"

#include <string>

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "daemon/core/time_format.h"

namespace apig_certd::service {

namespace {

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

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

std::string_view level_word(LogLevel level) {
  return level == LogLevel::Warn ? "warning" : settings::to_string(level);
}

void Log::write(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (enabled(level)) {
    emit(level, message, fields);
  }
}

void StreamLog::emit(LogLevel level, std::string_view message,
                     const std::vector<LogField>& fields) {
  std::string line = format_utc_iso8601(clock_.now());
  line += ' ';
  line += level_word(level);
  line += ": ";
  line += message;
  if (!fields.empty()) {
    line += " [";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      line += (i == 0 ? "" : ", ") + lower(fields[i].name) + "=" + fields[i].value;
    }
    line += ']';
  }
  line += '\n';
  std::fputs(line.c_str(), stream_);
  std::fflush(stream_);
}

void JournalLog::emit(LogLevel level, std::string_view message,
                      const std::vector<LogField>& fields) {
  std::vector<std::string> entries;
  entries.reserve(fields.size() + 3);
  entries.push_back("MESSAGE=" + std::string(message));
  entries.push_back("PRIORITY=" + std::to_string(priority(level)));
  entries.emplace_back("SYSLOG_IDENTIFIER=apig-certd");
  for (const LogField& field : fields) {
    entries.push_back(field.name + "=" + field.value);
  }
  std::vector<iovec> vectors;
  vectors.reserve(entries.size());
  for (std::string& entry : entries) {
    vectors.push_back(iovec{entry.data(), entry.size()});
  }
  ::sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
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
                              const Clock& clock) {
  if (stderr_is_journal(environment)) {
    return std::make_unique<JournalLog>(threshold);
  }
  return std::make_unique<StreamLog>(threshold, stderr, clock);
}

}  // namespace apig_certd::service
