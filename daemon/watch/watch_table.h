#pragma once

// WatchTable: which inotify watch descriptor watches which directory paths.
//
// Pure bookkeeping for Watcher, kept apart so the tricky part is testable without inotify.
// inotify watches inodes, not paths: adding a watch for a second path to an inode already
// watched returns the same descriptor (a bind mount, or a directory renamed while watched).
// So one wd may stand for several paths, and a watch may only be removed when its last path
// goes.

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace apig_certd::watch {

class WatchTable {
 public:
  // Records that `directory` is watched by `wd` (the result of inotify_add_watch). When the
  // directory was watched by another descriptor before (the path now names another inode)
  // and no other directory uses that descriptor, returns it: the caller removes that watch.
  [[nodiscard]] std::optional<int> add(const std::filesystem::path& directory, int wd);

  // Forgets `directory`. Returns its descriptor when no other directory uses it any more:
  // the caller removes that watch. Returns nullopt for an unknown directory.
  [[nodiscard]] std::optional<int> remove(const std::filesystem::path& directory);

  // Forgets `wd` and every directory it watched: the kernel dropped the watch (IN_IGNORED).
  // Unknown descriptors are ignored.
  void forget(int wd);

  // The directories `wd` watches; empty for an unknown descriptor.
  [[nodiscard]] const std::set<std::string>& directories(int wd) const;

  // The descriptor watching `directory`, if any.
  [[nodiscard]] std::optional<int> wd(const std::filesystem::path& directory) const;

  // Every watched directory, sorted.
  [[nodiscard]] std::vector<std::filesystem::path> directories() const;

 private:
  // By the path's text: std::filesystem::path compares component by component, which at a
  // start with 1,000 watched directories cost more than the inotify_add_watch calls, and
  // keeps a list of its components (about 400 bytes more than the text for a certbot path).
  std::map<std::string, int> wd_by_directory_;
  std::map<int, std::set<std::string>> directories_by_wd_;
};

}  // namespace apig_certd::watch
