// WatchTable: two maps kept in step, directory -> wd and wd -> directories. The second is
// the reference count: a wd is released to the caller for inotify_rm_watch(2) exactly when
// its set of directories becomes empty.

#include "daemon/watch/watch_table.h"

#include <algorithm>

namespace apig_certd::watch {

namespace {

namespace fs = std::filesystem;

}  // namespace

std::optional<int> WatchTable::add(const fs::path& directory, int wd) {
  std::optional<int> released;
  const auto existing = wd_by_directory_.find(directory.native());
  if (existing != wd_by_directory_.end()) {
    if (existing->second == wd) {
      return std::nullopt;
    }
    released = remove(directory);
  }
  wd_by_directory_.emplace(directory.native(), wd);
  directories_by_wd_[wd].insert(directory.native());
  return released;
}

std::optional<int> WatchTable::remove(const fs::path& directory) {
  const auto entry = wd_by_directory_.find(directory.native());
  if (entry == wd_by_directory_.end()) {
    return std::nullopt;
  }
  const int wd = entry->second;
  wd_by_directory_.erase(entry);
  const auto shared = directories_by_wd_.find(wd);
  if (shared == directories_by_wd_.end()) {
    return std::nullopt;
  }
  shared->second.erase(directory.native());
  if (!shared->second.empty()) {
    return std::nullopt;
  }
  directories_by_wd_.erase(shared);
  return wd;
}

void WatchTable::forget(int wd) {
  const auto entry = directories_by_wd_.find(wd);
  if (entry == directories_by_wd_.end()) {
    return;
  }
  for (const std::string& directory : entry->second) {
    wd_by_directory_.erase(directory);
  }
  directories_by_wd_.erase(entry);
}

const std::set<std::string>& WatchTable::directories(int wd) const {
  static const std::set<std::string> no_directories;
  const auto entry = directories_by_wd_.find(wd);
  return entry == directories_by_wd_.end() ? no_directories : entry->second;
}

std::optional<int> WatchTable::wd(const fs::path& directory) const {
  const auto entry = wd_by_directory_.find(directory.native());
  if (entry == wd_by_directory_.end()) {
    return std::nullopt;
  }
  return entry->second;
}

std::vector<fs::path> WatchTable::directories() const {
  std::vector<fs::path> directories;
  directories.reserve(wd_by_directory_.size());
  for (const auto& [directory, wd] : wd_by_directory_) {
    directories.emplace_back(directory);
  }
  // Sorted as paths (component by component), which the text order is not ("/a-b" comes
  // before "/a/b" as text).
  std::sort(directories.begin(), directories.end());
  return directories;
}

}  // namespace apig_certd::watch
