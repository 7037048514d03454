#pragma once

// TempDir: a fresh directory under the test's temp root, removed with everything in it when
// the object goes away (ninja's ScopedTempDir). Real files, real permissions, real inotify.

#include <filesystem>
#include <string_view>

namespace apig_certd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / relative.
  std::filesystem::path operator/(std::string_view relative) const { return path_ / relative; }

  // Writes `content` to path()/relative (creating parent directories) with `mode`, and
  // returns the full path.
  std::filesystem::path write(
      std::string_view relative, std::string_view content,
      std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                    std::filesystem::perms::owner_write) const;

 private:
  std::filesystem::path path_;
};

// Reads a whole file; fails the test (ADD_FAILURE) and returns "" when it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace apig_certd::testing
