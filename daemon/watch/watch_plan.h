#pragma once

// Which directories to watch so that every change to a file is noticed, whatever chain of
// symbolic links leads to it (certbot's live/ -> archive/, Kubernetes' ..data swap).

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>

#include <sys/types.h>

namespace apig_certd::watch {

// The most symbolic links followed for one file (Linux's MAXSYMLINKS, path_resolution(7)).
inline constexpr int kMaxSymlinkHops = 40;

// For each file a binding depends on: the directory containing it; if the file (or any
// directory component) is a symlink, every hop's containing directory as the chain is
// followed (bounded to 40 hops; relative link targets resolved against the link's directory),
// including the final target's directory. When a directory does not exist yet, its nearest
// existing ancestor is watched instead (so its creation is noticed).
//
// Paths are absolute and lexically normal; a relative `file` is taken against the current
// directory. Only lstat(2) and readlink(2) are used, so this never fails: a component that
// cannot be examined (missing, permission denied, not a directory) ends the walk and its
// containing directory is the one watched. A symlink loop ends after kMaxSymlinkHops with the
// directories of the links seen. The result is empty only when the current directory is
// unknown and `file` is relative.
std::set<std::filesystem::path> directories_for(const std::filesystem::path& file);

// directories_for() over many files at once, as a watch plan needs: each lstat(2) and
// readlink(2) answer is kept for the walker's lifetime, so the components the files share
// (their common parent directories) are examined once, not once per file. With 1,000
// bindings under one live/ directory that is about 3,000 lstat calls instead of 12,000. A
// walker is a snapshot: make one per plan, not one for the life of the process.
class PathWalker {
 public:
  std::set<std::filesystem::path> directories_for(const std::filesystem::path& file);

  // How many paths were examined (each with one lstat, and symlinks with one readlink).
  std::size_t examined() const { return entries_.size(); }

  struct Entry {
    bool examined = false;  // lstat succeeded
    mode_t mode = 0;        // its st_mode
    std::string target;     // readlink's answer, for symlinks
    bool target_read = false;
  };

 private:
  // By the path's text: std::filesystem::path compares component by component, which cost
  // more than the lstat calls it saved.
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace apig_certd::watch
