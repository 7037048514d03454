#pragma once

// StateStore: state.json in the state directory, loaded forgivingly, saved atomically, and
// the lock that serialises passes (DESIGN.md §5).

#include <filesystem>
#include <optional>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/duration.h"
#include "daemon/core/result.h"
#include "daemon/state/state.h"
#include "daemon/sys/file_lock.h"

namespace apig_certd::state {

struct LoadedState {
  State state;
  // Set when a corrupt or unreadable file was moved to state.json.corrupt-YYYYMMDDTHHMMSSZ.
  std::optional<std::filesystem::path> moved_aside;
  // Why it was moved aside (for the caller to report once); empty otherwise.
  std::string problem;
};

// Reads and parses a state file without touching anything: no directory is created, no lock
// taken, nothing moved aside (for `sync --dry-run` and `status`). Errors: NotFound when there
// is no file yet, ParseError when it is corrupt, others from the read.
Result<State> read_state_file(const std::filesystem::path& file);

class StateStore {
 public:
  // Opens the store in `state_dir`. A missing directory is created with mode 0700 (exactly;
  // missing parents are created too, with mode 0755 minus the umask, like `mkdir -p`); an
  // existing one is used as it is. `clock` names moved-aside files and must outlive the
  // store. Errors: InvalidArgument when the path exists but is not a directory,
  // PermissionDenied when it cannot be created or examined, others per Error::from_errno.
  static Result<StateStore> open(const std::filesystem::path& state_dir, const Clock& clock);

  // The state directory, as given to open().
  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  // {dir}/state.json
  [[nodiscard]] std::filesystem::path state_file() const;
  // {dir}/lock
  [[nodiscard]] std::filesystem::path lock_file() const;

  // Reads the state. A missing file gives an empty State. A corrupt file (not JSON, wrong
  // version, wrong types) or an unreadable one (EACCES, a directory, not a regular file,
  // too large) is renamed to state.json.corrupt-TIMESTAMP (the clock's now, with "-2", "-3",
  // ... appended if that name is taken) and an empty State is returned with moved_aside and
  // problem set: corruption is never an Error. Errors: when moving aside fails (the errno
  // kept), and for transient read failures (Unavailable: EMFILE, ENOMEM, ...), which are
  // returned rather than treated as corruption so that a good file is never moved aside
  // for them.
  Result<LoadedState> load();

  // Writes the state atomically with mode 0600 (sys::write_file_atomically). Errors keep
  // their errno (ENOSPC, EDQUOT, EROFS, ...); the previous file is then unchanged.
  Result<void> save(const State& state) const;

  // Takes the exclusive lock on lock_file() for one pass (sys::FileLock::acquire): Timeout
  // when another apig-certd holds it longer than `timeout`.
  [[nodiscard]] Result<sys::FileLock> lock(Duration timeout) const;

 private:
  StateStore(std::filesystem::path directory, const Clock& clock);

  std::filesystem::path directory_;
  const Clock* clock_;
};

}  // namespace apig_certd::state
