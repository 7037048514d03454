#pragma once

// SimProcess: the apig-sim binary running in the background for one test.
//
// start() spawns it with a seed (a BackgroundProcess: output drained on a thread, so tests
// can scan what it printed) and waits, bounded, for its "apig-sim listening on URL" line. The
// destructor kills it (SIGKILL) if stop() was not called.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/support/background_process.h"

namespace apig_certd::testing {

struct SimOptions {
  std::filesystem::path binary;  // The apig-sim executable (APIG_SIM_BINARY).
  std::filesystem::path seed;
  std::optional<std::filesystem::path> tls_certificate;
  std::optional<std::filesystem::path> tls_key;
  std::vector<std::string> extra_arguments;
  // Also start the TLS listener that serves bound certificates by SNI (--tls-port; 0: any
  // free port); SimProcess::tls_port() is where it listens.
  std::optional<int> tls_port;
  std::chrono::milliseconds start_timeout{10'000};
};

class SimProcess {
 public:
  // Starts the simulator and waits for its listening line. On failure (spawn error, early
  // exit, no line within start_timeout) reports ADD_FAILURE() with what it printed and
  // returns nullptr.
  static std::unique_ptr<SimProcess> start(const SimOptions& options);

  int port() const { return port_; }
  // The TLS listener's port (SimOptions::tls_port), 0 when it was not started.
  int tls_port() const { return tls_port_; }
  // "http://127.0.0.1:PORT" or "https://...", as the simulator printed it.
  const std::string& url() const { return url_; }
  pid_t pid() const { return process_->pid(); }

  // Sends SIGTERM and waits up to `timeout`. Returns the exit code, or -1 when it was killed
  // by a signal or had to be killed after the timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
    return process_->stop(timeout);
  }

  // Everything printed so far (the listening line included).
  std::string stdout_text() const { return process_->stdout_text(); }
  std::string stderr_text() const { return process_->stderr_text(); }

 private:
  explicit SimProcess(std::unique_ptr<BackgroundProcess> process) : process_(std::move(process)) {}

  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
  int tls_port_ = 0;
  std::string url_;
};

}  // namespace apig_certd::testing
