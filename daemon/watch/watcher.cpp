// Watcher: inotify over the directories of the bound files.
//
// Directories, not files, are watched, because renewals replace files by rename and
// re-point symlinks, and a watch on a file would follow the old inode away (watch_plan.cpp
// says which directories). The policy on an event is deliberately coarse: any event in a
// watched directory marks every binding that watches it, and the caller re-reads those
// bindings. Working out which file an event is "about" through a chain of symlinks is where
// watchers go wrong; re-reading two PEM files is cheap.
//
// After any event the whole plan is recomputed and the watches re-armed, instead of
// patching watches per event: a certbot renewal points live/ at new archive/ files, a
// Kubernetes update swaps ..data to a new directory and deletes the old one, and a
// directory that did not exist may have appeared. Re-arming calls inotify_add_watch(2) for
// every planned directory, which is idempotent for an inode already watched (same wd back)
// and notices a path that now names another inode (a different wd back), e.g. after a
// watched directory was renamed away and a new one made in its place.
//
// A known window, and why it is harmless: files written into a directory after it appears
// but before it is re-armed produce no event of their own. The IN_CREATE of the directory
// (seen in the watched ancestor) has marked the binding, though, and the caller re-reads
// marked bindings after read_changes() returns, by which time the new watch is in place.
//
// inotify(7) facts relied on: a read returns whole events, as many as fit; IN_Q_OVERFLOW
// comes with wd -1 when the queue (fs.inotify.max_queued_events) filled up and events were
// lost; IN_IGNORED follows the removal of a watch, whether we asked (inotify_rm_watch) or the
// kernel did (the directory was deleted or its filesystem unmounted).

#include "daemon/watch/watcher.h"

#include <array>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include <sys/inotify.h>
#include <unistd.h>

#include "daemon/watch/inotify_events.h"
#include "daemon/watch/watch_plan.h"

namespace apig_certd::watch {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Room for at least 4096 events with short names (inotify(7) suggests sizeof(struct
// inotify_event) + NAME_MAX + 1 as the minimum for one event).
constexpr std::size_t kReadBufferSize = std::size_t{64} * 1024;

// A drain stops after this many full reads even if events keep coming; the descriptor stays
// readable and the event loop comes back to it after serving the other sources.
constexpr int kMaxReadsPerDrain = 64;

struct alignas(struct inotify_event) ReadBuffer {
  std::array<std::byte, kReadBufferSize> bytes;
};

// Reads and decodes events until the descriptor has no more (EAGAIN). A failing read ends
// the drain with a warning; what was read before is returned.
std::vector<InotifyEvent> read_events(int fd, std::vector<std::string>& warnings) {
  std::vector<InotifyEvent> events;
  const auto buffer = std::make_unique_for_overwrite<ReadBuffer>();
  for (int reads = 0; reads < kMaxReadsPerDrain; ++reads) {
    const ssize_t count = ::read(fd, buffer->bytes.data(), buffer->bytes.size());
    if (count < 0) {
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      if (error != EAGAIN) {
        warnings.push_back(
            Error::from_errno("read", error).with_context("reading inotify events").to_string());
      }
      break;
    }
    if (count == 0) {
      break;
    }
    std::vector<InotifyEvent> decoded = decode_inotify_events(
        std::span<const std::byte>(buffer->bytes.data(), static_cast<std::size_t>(count)));
    events.insert(events.end(), std::make_move_iterator(decoded.begin()),
                  std::make_move_iterator(decoded.end()));
  }
  return events;
}

// Directory (its path's text) -> the bindings that want it watched.
std::map<std::string, std::set<std::string>> plan(
    const std::map<std::string, std::vector<std::string>>& files) {
  std::map<std::string, std::set<std::string>> planned;
  PathWalker walker;
  for (const auto& [binding, binding_files] : files) {
    for (const std::string& file : binding_files) {
      for (const fs::path& directory : walker.directories_for(file)) {
        planned[directory.native()].insert(binding);
      }
    }
  }
  return planned;
}

std::string warning_text(const Error& error) {
  std::string text = error.to_string();
  if (error.errnum() == ENOSPC) {
    text += " (the inotify watch limit fs.inotify.max_user_watches is reached)";
  }
  return text;
}

}  // namespace

Watcher::Watcher(sys::UniqueFd fd) : fd_(std::move(fd)) {}

Result<Watcher> Watcher::create() {
  sys::UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) {
    const int error = errno;
    return fail(Error::from_errno("inotify_init1", error));
  }
  return Watcher(std::move(fd));
}

std::vector<std::string> Watcher::set_files(std::map<std::string, std::vector<std::string>> files) {
  files_ = std::move(files);
  return rearm(Warnings::All);
}

Watcher::Changes Watcher::read_changes() {
  Changes changes;
  if (!fd_) {
    return changes;
  }
  const std::vector<InotifyEvent> events = read_events(fd_.get(), changes.warnings);
  for (const InotifyEvent& event : events) {
    if ((event.mask & IN_Q_OVERFLOW) != 0) {
      changes.overflow = true;
    }
    for (const std::string& directory : table_.directories(event.wd)) {
      const auto watching = bindings_by_directory_.find(directory);
      if (watching != bindings_by_directory_.end()) {
        changes.bindings.insert(watching->second.begin(), watching->second.end());
      }
    }
    if ((event.mask & IN_IGNORED) != 0) {
      table_.forget(event.wd);
    }
  }
  if (changes.overflow) {
    for (const auto& [binding, files] : files_) {
      changes.bindings.insert(binding);
    }
  }
  if (!events.empty()) {
    std::vector<std::string> warnings = rearm(Warnings::NewOnly);
    changes.warnings.insert(changes.warnings.end(), std::make_move_iterator(warnings.begin()),
                            std::make_move_iterator(warnings.end()));
  }
  return changes;
}

std::vector<fs::path> Watcher::watched_directories() const {
  return table_.directories();
}

Result<fs::path> Watcher::add_watch(fs::path directory) {
  for (;;) {
    const int wd = ::inotify_add_watch(fd_.get(), directory.c_str(), kMask);
    if (wd >= 0) {
      if (const std::optional<int> released = table_.add(directory, wd)) {
        // The path names another inode now; a failure (EINVAL) only means the kernel
        // removed the old watch already, and its IN_IGNORED is on the way.
        ::inotify_rm_watch(fd_.get(), *released);
      }
      return directory;
    }
    const int error = errno;
    // The directory may have gone since it was planned (a Kubernetes swap deletes the old
    // data directory): fall back to its nearest existing ancestor, as the plan would now.
    if ((error == ENOENT || error == ENOTDIR) && directory.has_relative_path()) {
      directory = directory.parent_path();
      continue;
    }
    return fail(Error::from_errno("inotify_add_watch", error)
                    .with_context("watching '" + directory.string() + "'")
                    .with_field("directory", directory.string()));
  }
}

std::vector<std::string> Watcher::rearm(Warnings report) {
  std::vector<std::string> warnings;
  if (!fd_) {
    return warnings;
  }
  std::map<std::string, std::set<std::string>> watched;
  std::set<std::string> unwatchable;
  for (const auto& [planned, bindings] : plan(files_)) {
    const Result<fs::path> directory = add_watch(planned);
    if (directory) {
      watched[directory->native()].insert(bindings.begin(), bindings.end());
      continue;
    }
    std::string failed = directory.error().field("directory").value_or(planned);
    if (report == Warnings::All || !unwatchable_.contains(failed)) {
      warnings.push_back(warning_text(directory.error()));
    }
    unwatchable.insert(std::move(failed));
  }
  for (const fs::path& directory : table_.directories()) {
    if (!watched.contains(directory.native())) {
      // As in add_watch(), a failure only means the kernel was first.
      if (const std::optional<int> released = table_.remove(directory)) {
        ::inotify_rm_watch(fd_.get(), *released);
      }
    }
  }
  bindings_by_directory_ = std::move(watched);
  unwatchable_ = std::move(unwatchable);
  return warnings;
}

}  // namespace apig_certd::watch
