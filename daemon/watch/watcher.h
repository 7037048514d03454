#pragma once

// Watcher: the daemon's inotify descriptor, watching the directories the bound certificate
// files live in, and telling which bindings had something happen.

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"
#include "daemon/watch/watch_table.h"

namespace apig_certd::watch {

class Watcher {
 public:
  // inotify_init1(IN_NONBLOCK | IN_CLOEXEC). Errors: Unavailable when the per-user instance
  // limit (fs.inotify.max_user_instances) or the fd limit is reached (EMFILE, ENFILE), with
  // the errno kept.
  static Result<Watcher> create();

  // Closing the descriptor drops every watch.
  ~Watcher() = default;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  // A moved-from Watcher has no descriptor and watches nothing.
  Watcher(Watcher&&) noexcept = default;
  Watcher& operator=(Watcher&&) noexcept = default;

  // The inotify descriptor, for epoll (level-triggered EPOLLIN); owned by the Watcher.
  [[nodiscard]] int fd() const { return fd_.get(); }

  // Replaces what is watched: binding name -> the files it depends on (certificate, key).
  // Computes directories_for() of each file, adds/removes inotify watches to match (mask:
  // IN_CLOSE_WRITE|IN_MOVED_TO|IN_MOVED_FROM|IN_CREATE|IN_DELETE|IN_ATTRIB|IN_DELETE_SELF|
  // IN_MOVE_SELF|IN_ONLYDIR). A directory that cannot be watched (EACCES, ENOSPC for the
  // watch limit...) is returned as a warning text naming the directory and errno text, not
  // an error; the rest is watched. A directory that vanished since it was planned is
  // replaced by its nearest existing ancestor, quietly.
  // The paths are kept as text: a std::filesystem::path also keeps a list of its components,
  // about 400 bytes more than the text for a certbot path, per file and binding.
  std::vector<std::string> set_files(std::map<std::string, std::vector<std::string>> files);

  struct Changes {
    std::set<std::string> bindings;     // Bindings with an event in one of their directories.
    bool overflow = false;              // IN_Q_OVERFLOW: the caller must rescan everything.
    std::vector<std::string> warnings;  // From re-arming.
  };

  // Drains the fd until EAGAIN, decodes all events, and maps each to the bindings that
  // watch its directory: any event in a watched directory marks every binding watching that
  // directory (the simplest correct rule for symlinked layouts). Watch descriptors are
  // forgotten on IN_IGNORED. If any event was seen, the directories of all files are
  // recomputed and the watches re-armed, so links that moved to new directories, newly
  // created directories and deleted ones are followed; `warnings` names only directories
  // that could not be watched and were not already reported at the previous arming (so a
  // lasting problem is not repeated on every event). On overflow every binding is in
  // `bindings` and overflow is true. Never blocks. A failing read(2) other than EAGAIN ends
  // the drain with a warning; the events read before it are still reported.
  Changes read_changes();

  // The watched directories, sorted (for status and tests).
  [[nodiscard]] std::vector<std::filesystem::path> watched_directories() const;

 private:
  explicit Watcher(sys::UniqueFd fd);

  // Watches `directory`, or its nearest existing ancestor when it has gone, and records the
  // watch. Returns the directory watched. Errors keep inotify_add_watch's errno, and carry
  // the directory that failed as field "directory".
  Result<std::filesystem::path> add_watch(std::filesystem::path directory);

  enum class Warnings { All, NewOnly };
  // Recomputes the directories of every file and makes the watches match. Returns a warning
  // for each directory that cannot be watched, or with NewOnly only for those that could
  // be watched (or were not planned) at the previous re-arm.
  std::vector<std::string> rearm(Warnings report);

  sys::UniqueFd fd_;
  std::map<std::string, std::vector<std::string>> files_;
  WatchTable table_;
  // Both by the directory path's text (see WatchTable).
  std::map<std::string, std::set<std::string>> bindings_by_directory_;
  std::set<std::string> unwatchable_;  // Failed at the last re-arm.
};

}  // namespace apig_certd::watch
