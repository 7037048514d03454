#include "daemon/service/notifier.h"

#include <cstdint>
#include <ctime>

#include <systemd/sd-daemon.h>

namespace apig_certd::service {

namespace {

// STATUS= is one line: a newline would start a new assignment.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return text;
}

std::uint64_t monotonic_microseconds() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000U +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000U;
}

}  // namespace

void Notifier::send(const std::string& message) {
  // Errors are deliberately ignored: a daemon must not stop because its supervisor's socket
  // went away, and without NOTIFY_SOCKET this is a no-op.
  ::sd_notify(0, message.c_str());
}

void Notifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + one_line(status));
}

void Notifier::status(const std::string& status) {
  send("STATUS=" + one_line(status));
}

void Notifier::reloading() {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_microseconds()));
}

void Notifier::stopping() {
  send("STOPPING=1");
}

void Notifier::watchdog() {
  send("WATCHDOG=1");
}

std::optional<Duration> Notifier::watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<Duration>(std::chrono::microseconds(usec));
}

}  // namespace apig_certd::service
