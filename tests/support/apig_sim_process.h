#pragma once

// SimProcess: the apig-sim binary running in the background for one test.
//
// start() spawns it with a seed, reads its "apig-sim listening on URL" line with a bounded
// timeout, and keeps draining its stdout and stderr on a thread (so a chatty simulator never
// blocks on a full pipe, and tests can scan what it printed). The destructor kills it
// (SIGKILL) if stop() was not called.

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace apig_certd::testing {

struct SimOptions {
  std::filesystem::path binary;  // The apig-sim executable (APIG_SIM_BINARY).
  std::filesystem::path seed;
  std::optional<std::filesystem::path> tls_certificate;
  std::optional<std::filesystem::path> tls_key;
  std::vector<std::string> extra_arguments;
  std::chrono::milliseconds start_timeout{10'000};
};

class SimProcess {
 public:
  // Starts the simulator and waits for its listening line. On failure (spawn error, early
  // exit, no line within start_timeout) reports ADD_FAILURE() with what it printed and
  // returns nullptr.
  static std::unique_ptr<SimProcess> start(const SimOptions& options);

  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;
  SimProcess(SimProcess&&) = delete;
  SimProcess& operator=(SimProcess&&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" or "https://...", as the simulator printed it.
  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits up to `timeout`. Returns the exit code, or -1 when it was killed
  // by a signal or had to be killed after the timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

  // Everything printed so far (the listening line included).
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  SimProcess(pid_t pid, int out_fd, int err_fd);
  // Reads until the listening line or the deadline; false when none came.
  bool wait_for_listening_line(std::chrono::milliseconds timeout);
  void drain();
  // Reads what is available on `fd` into `sink`; false at end of file.
  bool read_into(int fd, std::string& sink);

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  int port_ = 0;
  std::string url_;
  bool reaped_ = false;
  mutable std::mutex output_mutex_;
  std::string out_;
  std::string err_;
  std::thread drainer_;
};

}  // namespace apig_certd::testing
