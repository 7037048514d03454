#pragma once

// spawn_with_pipes: posix_spawn of a test child with stdout and stderr on pipes, stdin on
// /dev/null, an empty signal mask (the test may block signals; apig-certd's main does), and
// the test's environment with the requested changes applied (an empty value unsets).
// Shared by run_process (run to completion) and BackgroundProcess (long-running children).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace apig_certd::testing {

struct SpawnedChild {
  pid_t pid = -1;   // -1: not started (see error)
  int out_fd = -1;  // read ends, owned by the caller
  int err_fd = -1;
  std::string error;
};

// One read(2) of what a child wrote on a pipe: the bytes (empty after EINTR/EAGAIN), or
// nullopt at end of file or on an error, when the caller stops reading that pipe.
std::optional<std::string> read_available(int fd);

SpawnedChild spawn_with_pipes(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& environment_changes);

}  // namespace apig_certd::testing
