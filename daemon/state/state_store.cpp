// StateStore: where state.json lives and how it survives trouble.
//
// The state is a cache of what was done remotely, so losing it is recoverable (the next pass
// rebuilds it from APIG) while refusing to start over a bad file is not: a corrupt or
// unreadable state.json is renamed out of the way, kept for a person to look at, and the
// daemon carries on with an empty state. Only transient failures (too many open files, no
// memory) are returned as errors, because moving a good file aside for them would throw away
// the list of certificates we created and still have to clean up.
//
// The moved-aside name carries the clock's time, so files from different incidents never
// collide; two in the same second get a numeric suffix. The name is checked with lstat
// before rename(2), which would otherwise silently replace an earlier corrupt file. (A
// concurrent load could race between the check and the rename; passes hold the lock, and the
// worst case is losing one corrupt copy, so RENAME_NOREPLACE's filesystem caveats are not
// worth it.)
//
// The directory is created 0700 with mkdir(2) plus chmod(2), since mkdir's mode is filtered
// by the umask; saves go through sys::write_file_atomically with mode 0600.

#include "daemon/state/state_store.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/in_quotes.h"
#include "daemon/sys/atomic_file.h"

namespace apig_certd::state {

namespace {

// Far more than any real state (a few KiB per target); a bigger file is treated as corrupt.
constexpr std::size_t kMaxStateBytes = 16UL * 1024 * 1024;
// Suffixes tried for a moved-aside name before giving up.
constexpr int kMoveAsideAttempts = 100;
constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kParentMode = 0755;
constexpr mode_t kFileMode = 0600;

// "20260102T030405Z".
std::string compact_utc(SystemTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  if (gmtime_r(&seconds, &parts) == nullptr) {
    return "unknown-time";
  }
  std::array<char, 32> buffer{};
  const std::size_t length = std::strftime(buffer.data(), buffer.size(), "%Y%m%dT%H%M%SZ", &parts);
  return {buffer.data(), length};
}

// mkdir(2) that tolerates an existing entry (checked by the caller afterwards).
Result<bool> make_directory(const std::filesystem::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) {
    return true;
  }
  const int error = errno;
  if (error == EEXIST) {
    return false;
  }
  return fail(Error::from_errno("mkdir", error).with_context("creating " + in_quotes(path)));
}

// Whether `path` exists (lstat), for choosing a free name.
Result<bool> path_exists(const std::filesystem::path& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) == 0) {
    return true;
  }
  const int error = errno;
  if (error == ENOENT) {
    return false;
  }
  return fail(Error::from_errno("lstat", error).with_context("examining " + in_quotes(path)));
}

}  // namespace

Result<State> read_state_file(const std::filesystem::path& file) {
  Result<std::string> text = sys::read_small_file(file, kMaxStateBytes);
  if (!text) {
    return fail(std::move(text.error()));
  }
  Result<State> parsed = parse_state(*text);
  if (!parsed) {
    return fail(std::move(parsed.error()).with_context("reading '" + file.string() + "'"));
  }
  return parsed;
}

StateStore::StateStore(std::filesystem::path directory, const Clock& clock)
    : directory_(std::move(directory)), clock_(&clock) {}

Result<StateStore> StateStore::open(const std::filesystem::path& state_dir, const Clock& clock) {
  const std::string context = "opening the state directory " + in_quotes(state_dir);
  if (state_dir.empty()) {
    return fail(Error(ErrorCode::InvalidArgument, "empty path").with_context(context));
  }
  // Create missing parents first (outermost first), then the directory itself.
  std::vector<std::filesystem::path> parents;
  for (std::filesystem::path parent = state_dir.lexically_normal().parent_path();
       !parent.empty() && parent != parent.root_path(); parent = parent.parent_path()) {
    parents.push_back(parent);
  }
  std::reverse(parents.begin(), parents.end());
  for (const std::filesystem::path& parent : parents) {
    if (auto made = make_directory(parent, kParentMode); !made) {
      return fail(std::move(made.error()).with_context(context));
    }
  }
  auto made = make_directory(state_dir, kDirectoryMode);
  if (!made) {
    return fail(std::move(made.error()).with_context(context));
  }
  if (*made && ::chmod(state_dir.c_str(), kDirectoryMode) != 0) {
    const int error = errno;
    return fail(Error::from_errno("chmod", error).with_context(context));
  }
  struct stat status {};
  if (::stat(state_dir.c_str(), &status) != 0) {
    const int error = errno;
    return fail(Error::from_errno("stat", error).with_context(context));
  }
  if (!S_ISDIR(status.st_mode)) {
    return fail(Error(ErrorCode::InvalidArgument, "not a directory").with_context(context));
  }
  return StateStore(state_dir, clock);
}

std::filesystem::path StateStore::state_file() const {
  return directory_ / "state.json";
}

std::filesystem::path StateStore::lock_file() const {
  return directory_ / "lock";
}

Result<LoadedState> StateStore::load() {
  const std::filesystem::path file = state_file();
  LoadedState loaded;
  auto text = sys::read_small_file(file, kMaxStateBytes);
  Error problem(ErrorCode::Internal, "");
  if (text) {
    auto parsed = parse_state(*text);
    if (parsed) {
      loaded.state = std::move(*parsed);
      return loaded;
    }
    problem = std::move(parsed.error()).with_context("reading " + in_quotes(file));
  } else {
    if (text.error().errnum() == ENOENT) {
      return loaded;
    }
    if (is_retryable(text.error().code())) {
      return fail(std::move(text.error()).with_context("loading the state"));
    }
    problem = std::move(text.error());
  }

  // Corrupt or unreadable: find a free name and move the file (or directory) there.
  const std::string base = file.string() + ".corrupt-" + compact_utc(clock_->now());
  for (int attempt = 1; attempt <= kMoveAsideAttempts; ++attempt) {
    std::filesystem::path aside = attempt == 1 ? base : base + "-" + std::to_string(attempt);
    auto taken = path_exists(aside);
    if (!taken) {
      return fail(
          std::move(taken.error())
              .with_context("moving the bad state file aside (" + problem.to_string() + ")"));
    }
    if (*taken) {
      continue;
    }
    if (::rename(file.c_str(), aside.c_str()) != 0) {
      const int error = errno;
      return fail(Error::from_errno("rename", error)
                      .with_context("moving " + in_quotes(file) + " aside to " + in_quotes(aside) +
                                    " (" + problem.to_string() + ")"));
    }
    loaded.moved_aside = std::move(aside);
    loaded.problem = problem.to_string();
    return loaded;
  }
  return fail(Error(ErrorCode::Internal, "no free name after " + base)
                  .with_context("moving the bad state file aside (" + problem.to_string() + ")"));
}

Result<void> StateStore::save(const State& state) const {
  if (auto written = sys::write_file_atomically(state_file(), to_json(state), kFileMode);
      !written) {
    return fail(std::move(written.error()).with_context("saving the state"));
  }
  return {};
}

Result<sys::FileLock> StateStore::lock(Duration timeout) const {
  return sys::FileLock::acquire(lock_file(), timeout);
}

}  // namespace apig_certd::state
