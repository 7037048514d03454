#pragma once

// Notifier: the daemon's side of the systemd notify protocol (sd_notify(3)).
//
// Does nothing when $NOTIFY_SOCKET is unset, so foreground runs and tests need no special
// case. READY=1 after the first pass, STATUS= a one-line summary, RELOADING=1 with
// MONOTONIC_USEC= and then READY=1 around a SIGHUP reload, STOPPING=1 on the way out, and
// WATCHDOG=1 from the loop's watchdog timer.

#include <optional>
#include <string>

#include "daemon/core/duration.h"

namespace apig_certd::service {

class Notifier {
 public:
  static void ready(const std::string& status);
  static void status(const std::string& status);
  static void reloading();
  static void stopping();
  static void watchdog();

  // The watchdog period systemd expects (WatchdogSec=) when it is enabled for this process.
  static std::optional<Duration> watchdog_interval();

 private:
  static void send(const std::string& message);
};

}  // namespace apig_certd::service
