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

#include <array>
#include <system_error>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace apig_certd::watch {

namespace {

namespace fs = std::filesystem;

// The state of one walk. Paths are kept as text: std::filesystem::path splits itself into
// components on every join and copy, which cost more than the system calls (80 M
// instructions for the 2,000 files of a 1,000-binding start).
struct Walk {
  std::unordered_map<std::string, PathWalker::Entry>* entries =
      nullptr;           // the walker's answers so far
  std::string resolved;  // Absolute, free of symlinks, existing; no trailing '/' but "/".
  // Components still to resolve, the next one last.
  std::vector<std::string> remaining;
  int hops = 0;                    // Symlinks followed so far.
  std::set<fs::path> directories;  // The answer so far.
};

// What the walk does after a step.
enum class Next {
  Continue,   // Resolve the next component.
  WatchHere,  // Stop, and watch the directory the walk stands in.
  Stop,       // Stop: the directories recorded so far are the answer.
};

// Puts the components of `path` (ignoring a leading '/', empty components dropped) in front
// of the remaining ones.
void prepend_components(std::string_view path, std::vector<std::string>& remaining) {
  std::vector<std::string_view> components;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end > start) {
      components.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  for (auto component = components.rbegin(); component != components.rend(); ++component) {
    remaining.emplace_back(*component);
  }
}

std::string parent_of(const std::string& directory) {
  const std::size_t slash = directory.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : directory.substr(0, slash);
}

std::string joined(const std::string& directory, const std::string& component) {
  std::string path;
  path.reserve(directory.size() + 1 + component.size());
  path += directory;
  if (directory != "/") {
    path += '/';
  }
  path += component;
  return path;
}

// lstat(2) of `path`, once per walker.
PathWalker::Entry& examine(const std::string& path, Walk& walk) {
  const auto [entry, added] = walk.entries->try_emplace(path);
  if (added) {
    struct stat status {};
    entry->second.examined = ::lstat(path.c_str(), &status) == 0;
    entry->second.mode = status.st_mode;
  }
  return entry->second;
}

// readlink(2) of `link`; empty when it cannot be read (an empty target is invalid anyway).
std::string read_link(const std::string& link) {
  std::array<char, 4096> buffer{};
  const ssize_t length = ::readlink(link.c_str(), buffer.data(), buffer.size());
  if (length <= 0 || static_cast<std::size_t>(length) >= buffer.size()) {
    return {};
  }
  return {buffer.data(), static_cast<std::size_t>(length)};
}

// `link` is a symlink in walk.resolved: record that directory, then continue with the target.
Next follow_link(const std::string& link, PathWalker::Entry& entry, Walk& walk) {
  if (walk.hops == kMaxSymlinkHops) {
    return Next::Stop;  // A loop, or a chain too long for the kernel to follow.
  }
  ++walk.hops;
  walk.directories.insert(walk.resolved);
  if (!entry.target_read) {
    entry.target = read_link(link);
    entry.target_read = true;
  }
  if (entry.target.empty()) {
    return Next::WatchHere;  // Unreadable (an empty target is invalid, EINVAL or ENOENT).
  }
  const std::string target = entry.target;  // `entry` may move when the map grows
  if (target.front() == '/') {
    walk.resolved = "/";
  }
  prepend_components(target, walk.remaining);
  return Next::Continue;
}

// Resolves the next component.
Next step(Walk& walk) {
  const std::string component = std::move(walk.remaining.back());
  walk.remaining.pop_back();
  if (component == ".") {
    return Next::Continue;
  }
  if (component == "..") {
    walk.resolved = parent_of(walk.resolved);
    return Next::Continue;
  }
  std::string candidate = joined(walk.resolved, component);
  PathWalker::Entry& entry = examine(candidate, walk);
  if (!entry.examined) {
    return Next::WatchHere;  // Missing or unreadable.
  }
  if (S_ISLNK(entry.mode)) {
    return follow_link(candidate, entry, walk);
  }
  if (!walk.remaining.empty() && !S_ISDIR(entry.mode)) {
    return Next::WatchHere;  // A file used as a directory: the path cannot exist.
  }
  walk.resolved = std::move(candidate);
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
  walk.resolved = "/";
  prepend_components(absolute.native(), walk.remaining);
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
  walk.directories.insert(parent_of(walk.resolved));
  return walk.directories;
}

}  // namespace apig_certd::watch
