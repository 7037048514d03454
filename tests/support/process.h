#pragma once

// Runs a program to completion and captures what it printed: how the integration tests drive
// the real apig-certd binary. Bounded: a process that outlives `timeout` is killed and the
// result says so, so a hung binary fails one test instead of the whole run.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace apig_certd::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or not started.
  int signal = 0;      // The terminating signal, if any.
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  // Environment changes on top of the test's own environment; an empty value unsets.
  std::map<std::string, std::string> environment;
  std::chrono::milliseconds timeout{30'000};
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace apig_certd::testing
