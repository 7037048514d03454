// TempDir: mkdtemp under testing::TempDir() (or $TMPDIR), recursive removal on destruction.
// Permissions are restored before removal so tests may chmod 000 things they made.

#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

namespace apig_certd::testing {

TempDir::TempDir() {
  std::string pattern = ::testing::TempDir();
  if (pattern.empty() || pattern.back() != '/') {
    pattern += '/';
  }
  pattern += "apig-certd-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
    return;
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  if (path_.empty()) {
    return;
  }
  std::error_code error;
  // Make everything writable and searchable again so removal cannot fail on a chmod'ed dir.
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all, error);
    }
  }
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all, error);
  std::filesystem::remove_all(path_, error);
}

std::filesystem::path TempDir::write(std::string_view relative, std::string_view content,
                                     std::filesystem::perms mode) const {
  const std::filesystem::path target = path_ / relative;
  std::error_code error;
  std::filesystem::create_directories(target.parent_path(), error);
  {
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
      ADD_FAILURE() << "cannot write " << target;
    }
  }
  std::filesystem::permissions(target, mode, error);
  if (error) {
    ADD_FAILURE() << "cannot chmod " << target << ": " << error.message();
  }
  return target;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

}  // namespace apig_certd::testing
