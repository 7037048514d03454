#pragma once

// Log: the daemon's log lines, with structured fields, through one spdlog::logger it owns.
//
// Under journald (stderr connected to the journal, $JOURNAL_STREAM) each line goes through
// sd_journal_sendv with its PRIORITY= and the fields of the event (BINDING=, DOMAIN=,
// CERT_SHA256=, APIG_ERROR_CODE=, ...), so `journalctl -u apig-certd BINDING=example` finds
// them. Otherwise lines go to stderr as "TIME LEVEL: message [binding=..., domain=...]".
// The sinks are ours (log.cpp): spdlog's systemd sink (1.10) cannot attach per-line fields,
// and the stderr time comes from the injected Clock. spdlog stays out of this header, which
// half the daemon includes. Callers never pass secrets: messages are built from names,
// fingerprints and APIG's error texts.

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/settings/settings.h"

namespace spdlog {
class logger;
}

namespace apig_certd::service {

using settings::LogLevel;

struct LogField {
  std::string name;  // journald field name: upper case, digits and '_' ("BINDING")
  std::string value;
};

class FieldSink;  // log.cpp: an spdlog sink that also receives each line's fields

class Log {
 public:
  // A logger named "apig-certd" (not registered anywhere) with `sink` as its only sink. The
  // make_*_log functions below make the sinks.
  Log(LogLevel threshold, std::shared_ptr<FieldSink> sink);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  Log(Log&&) = delete;
  Log& operator=(Log&&) = delete;

  // Thread-safe; lines of concurrent callers do not interleave.
  void write(LogLevel level, std::string_view message, const std::vector<LogField>& fields = {});
  // Safe to call from any thread (spdlog keeps the level in an atomic).
  void set_threshold(LogLevel threshold);
  [[nodiscard]] bool enabled(LogLevel level) const;

 private:
  std::shared_ptr<FieldSink> sink_;
  std::unique_ptr<spdlog::logger> logger_;
  // Held for one whole spdlog call: the sink reads the line's fields from the hand-off
  // (FieldSink) that write() filled, so one line at a time.
  std::mutex mutex_;
};

// One journal entry's fields, as sd_journal_sendv(3) takes them: "MESSAGE=...", "PRIORITY=6",
// "SYSLOG_IDENTIFIER=apig-certd", then each LogField as "NAME=value". A value may hold
// newlines: each string is one field.
std::vector<std::string> journal_fields(LogLevel level, std::string_view message,
                                        std::span<const LogField> fields);
using JournalSender = std::function<void(std::vector<std::string> entry)>;
// Sends one entry with sd_journal_sendv; errors are dropped (there is nowhere to log them).
void send_to_journal(std::vector<std::string> entry);

// Lines on a stdio stream (stderr for the daemon; a test may pass a file), timed by `clock`.
std::unique_ptr<Log> make_stream_log(LogLevel threshold, std::FILE* stream, const Clock& clock);
// Entries in the journal, each handed to `send` (send_to_journal, or a test's recorder).
std::unique_ptr<Log> make_journal_log(LogLevel threshold, JournalSender send);

// True when stderr is the journal stream systemd set up ($JOURNAL_STREAM is "DEV:INODE" of
// our stderr; a child whose stderr was redirected does not match and logs to it instead).
bool stderr_is_journal(const Environment& environment);

// The journal (through `send`) when stderr is connected to it, otherwise stderr lines.
std::unique_ptr<Log> make_log(const Environment& environment, LogLevel threshold,
                              const Clock& clock, JournalSender send = send_to_journal);

// "info", "warning", ... as printed in stderr lines.
std::string_view level_word(LogLevel level);

}  // namespace apig_certd::service
