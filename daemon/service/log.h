#pragma once

// Log: the daemon's log lines, with structured fields.
//
// Under journald (stderr connected to the journal, $JOURNAL_STREAM) each line goes through
// sd_journal_send with its PRIORITY= and the fields of the event (BINDING=, DOMAIN=,
// CERT_SHA256=, APIG_ERROR_CODE=, ...), so `journalctl -u apig-certd BINDING=example` finds
// them. Otherwise lines go to stderr as "TIME LEVEL: message [binding=..., domain=...]".
// spdlog's systemd sink (1.10) sends PRIORITY= but cannot attach per-line fields, which is
// why this small interface exists. Callers never pass secrets: messages are built from
// names, fingerprints and APIG's error texts.

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/settings/settings.h"

namespace apig_certd::service {

using settings::LogLevel;

struct LogField {
  std::string name;  // journald field name: upper case, digits and '_' ("BINDING")
  std::string value;
};

class Log {
 public:
  explicit Log(LogLevel threshold) : threshold_(threshold) {}
  virtual ~Log() = default;
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  Log(Log&&) = delete;
  Log& operator=(Log&&) = delete;

  void write(LogLevel level, std::string_view message, const std::vector<LogField>& fields = {});
  void set_threshold(LogLevel threshold) { threshold_ = threshold; }
  bool enabled(LogLevel level) const { return level >= threshold_; }

 protected:
  virtual void emit(LogLevel level, std::string_view message,
                    const std::vector<LogField>& fields) = 0;

 private:
  // Atomic: webhook threads log while a reload on the loop thread may change it.
  std::atomic<LogLevel> threshold_;
};

// Lines on a stdio stream (stderr for the daemon; a test may pass a file).
class StreamLog final : public Log {
 public:
  StreamLog(LogLevel threshold, std::FILE* stream, const Clock& clock)
      : Log(threshold), stream_(stream), clock_(clock) {}

 private:
  void emit(LogLevel level, std::string_view message, const std::vector<LogField>& fields) override;
  std::FILE* stream_;
  const Clock& clock_;
};

// Entries in the systemd journal.
class JournalLog final : public Log {
 public:
  explicit JournalLog(LogLevel threshold) : Log(threshold) {}

 private:
  void emit(LogLevel level, std::string_view message, const std::vector<LogField>& fields) override;
};

// True when stderr is the journal stream systemd set up ($JOURNAL_STREAM is "DEV:INODE" of
// our stderr; a child whose stderr was redirected does not match and logs to it instead).
bool stderr_is_journal(const Environment& environment);

// The journal when stderr is connected to it, otherwise stderr lines.
std::unique_ptr<Log> make_log(const Environment& environment, LogLevel threshold,
                              const Clock& clock);

// "info", "warning", ... as printed in stderr lines.
std::string_view level_word(LogLevel level);

}  // namespace apig_certd::service
