// directories_for(): a path walk in the manner of realpath(3), recording directories.
//
// Directories, not files, are watched, because renewals replace files by rename and by
// re-pointing symlinks, and a watch on a file follows the old inode away. The directory of a
// symlink sees the link being replaced; the directory of its target sees the new content
// being written. So the walk resolves the path one component at a time, and every time a
// component is a symlink it records the directory holding the link, then continues with the
// link's target spliced into the remaining components (relative targets start from the
// link's own directory, as the kernel does). The directory holding the final file is
// recorded last. Because everything before the current component is already free of
// symlinks, ".." can be applied lexically.
//
// Directory components that are symlinks are resolved too: Kubernetes mounts keep the data in
// "..2026_11_28_10_00_00.123" behind a "..data" link, and the real directory must be watched,
// as a watch through "..data" stays on the old directory after the swap.
//
// A walk that reaches a component it cannot examine (most often: it does not exist yet)
// stops and records the directory it stands in, the nearest existing ancestor, whose
// IN_CREATE will tell us when the rest appears.

#include "daemon/watch/watch_plan.h"

#include <deque>
#include <system_error>

namespace apig_certd::watch {

namespace {

namespace fs = std::filesystem;

// The state of one walk.
struct Walk {
  std::unordered_map<std::string, PathWalker::Entry>* entries =
      nullptr;                     // the walker's answers so far
  fs::path resolved;               // Free of symlinks, and existing.
  std::deque<fs::path> remaining;  // Components still to resolve.
  int hops = 0;                    // Symlinks followed so far.
  std::set<fs::path> directories;  // The answer so far.
};

// What the walk does after a step.
enum class Next {
  Continue,   // Resolve the next component.
  WatchHere,  // Stop, and watch the directory the walk stands in.
  Stop,       // Stop: the directories recorded so far are the answer.
};

// Puts the components of `path` (without its root) in front of the remaining ones.
void prepend_components(const fs::path& path, std::deque<fs::path>& remaining) {
  std::deque<fs::path> components;
  for (const fs::path& component : path.relative_path()) {
    if (!component.empty()) {
      components.push_back(component);
    }
  }
  remaining.insert(remaining.begin(), components.begin(), components.end());
}

// lstat(2) of `path`, once per walker.
PathWalker::Entry& examine(const fs::path& path, Walk& walk) {
  const auto [entry, added] = walk.entries->try_emplace(path.native());
  if (added) {
    std::error_code error;
    entry->second.status = fs::symlink_status(path, error);
    entry->second.examined = !error;
  }
  return entry->second;
}

// `link` is a symlink in walk.resolved: record that directory, then continue with the target.
Next follow_link(const fs::path& link, PathWalker::Entry& entry, Walk& walk) {
  if (walk.hops == kMaxSymlinkHops) {
    return Next::Stop;  // A loop, or a chain too long for the kernel to follow.
  }
  ++walk.hops;
  walk.directories.insert(walk.resolved);
  if (!entry.target_read) {
    std::error_code error;
    entry.target = fs::read_symlink(link, error);
    if (error) {
      entry.target.clear();
    }
    entry.target_read = true;
  }
  if (entry.target.empty()) {
    return Next::WatchHere;  // Unreadable (an empty target is invalid, EINVAL or ENOENT).
  }
  const fs::path target = entry.target;
  if (target.is_absolute()) {
    walk.resolved = target.root_path();
  }
  prepend_components(target, walk.remaining);
  return Next::Continue;
}

// Resolves the next component.
Next step(Walk& walk) {
  const fs::path component = walk.remaining.front();
  walk.remaining.pop_front();
  if (component == ".") {
    return Next::Continue;
  }
  if (component == "..") {
    walk.resolved = walk.resolved.parent_path();
    return Next::Continue;
  }
  const fs::path candidate = walk.resolved / component;
  PathWalker::Entry& entry = examine(candidate, walk);
  const fs::file_status status = entry.status;
  if (!entry.examined || !fs::exists(status)) {
    return Next::WatchHere;  // Missing or unreadable.
  }
  if (fs::is_symlink(status)) {
    return follow_link(candidate, entry, walk);
  }
  if (!walk.remaining.empty() && !fs::is_directory(status)) {
    return Next::WatchHere;  // A file used as a directory: the path cannot exist.
  }
  walk.resolved = candidate;
  return Next::Continue;
}

}  // namespace

std::set<fs::path> directories_for(const fs::path& file) {
  PathWalker walker;
  return walker.directories_for(file);
}

std::set<fs::path> PathWalker::directories_for(const fs::path& file) {
  std::error_code error;
  const fs::path absolute = fs::absolute(file, error).lexically_normal();
  if (error || !absolute.is_absolute()) {
    return {};
  }
  Walk walk;
  walk.entries = &entries_;
  walk.resolved = absolute.root_path();
  prepend_components(absolute, walk.remaining);
  while (!walk.remaining.empty()) {
    switch (step(walk)) {
      case Next::Continue:
        break;
      case Next::WatchHere:
        walk.directories.insert(walk.resolved);
        return walk.directories;
      case Next::Stop:
        return walk.directories;
    }
  }
  // Every component exists: watch the directory that holds the file.
  walk.directories.insert(walk.resolved.parent_path());
  return walk.directories;
}

}  // namespace apig_certd::watch
