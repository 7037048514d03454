#pragma once

// BackgroundProcess: a long-running child of a test (apig-certd run, apig-sim), with its
// stdout and stderr drained on a thread so a chatty child never blocks on a full pipe, and
// so the test can wait for a line to appear. Every wait is bounded. The destructor kills the
// child (SIGKILL) if it is still running.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace apig_certd::testing {

class BackgroundProcess {
 public:
  // Spawns argv (spawn.h: environment changes, empty signal mask). nullptr with
  // ADD_FAILURE() when it cannot be started.
  static std::unique_ptr<BackgroundProcess> start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& environment_changes = {});

  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  BackgroundProcess(BackgroundProcess&&) = delete;
  BackgroundProcess& operator=(BackgroundProcess&&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const;

  // Waits up to `timeout` for the child to exit. The exit code, -1 when a signal killed it,
  // nullopt when it is still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then wait(timeout); SIGKILL when that runs out (returning -1).
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  bool exited() const { return reaped_; }
  // After wait()/stop(): a signal ended the child and the kernel wrote a core dump of it.
  bool dumped_core() const;

  // Waits until stdout / stderr contains `text` `count` times (or the child exits).
  bool wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout, int count = 1);
  bool wait_for_stderr(std::string_view text, std::chrono::milliseconds timeout, int count = 1);

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  BackgroundProcess(pid_t pid, int out_fd, int err_fd);
  void drain();
  bool wait_for(std::string BackgroundProcess::*stream, std::string_view text,
                std::chrono::milliseconds timeout, int count);

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  bool reaped_ = false;
  int status_ = 0;
  mutable std::mutex output_mutex_;
  std::string out_;
  std::string err_;
  std::thread drainer_;
};

// Occurrences of `text` in `haystack`.
int count_of(std::string_view haystack, std::string_view text);

}  // namespace apig_certd::testing
