#pragma once

// WatcherFixture: a real inotify Watcher over a fresh temp dir, with helpers to create files
// and links and to wait, boundedly, for what the Watcher reports. Shared by the Watcher
// test files.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>

#include "daemon/watch/watcher.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::watch {

class WatcherFixture : public ::testing::Test {
 protected:
  using Bindings = std::set<std::string>;
  using Directories = std::vector<std::filesystem::path>;

  void SetUp() override {
    root_ = std::filesystem::canonical(temp_dir_.path());
    Result<Watcher> created = Watcher::create();
    ASSERT_TRUE(created) << created.error().to_string();
    watcher_.emplace(std::move(*created));
  }

  Watcher& watcher() { return *watcher_; }

  // The temp dir, canonical (no symlink above it adds directories to the plans).
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

  [[nodiscard]] std::filesystem::path path(const std::string& relative) const {
    return root_ / relative;
  }

  void write(const std::string& relative, const std::string& content = "pem") const {
    temp_dir_.write(relative, content);
  }

  void symlink(const std::filesystem::path& target, const std::string& link) const {
    std::error_code error;
    std::filesystem::create_directories(path(link).parent_path(), error);
    std::filesystem::create_symlink(target, path(link), error);
    ASSERT_FALSE(error) << link << ": " << error.message();
  }

  void rename(const std::string& from, const std::string& to) const {
    std::error_code error;
    std::filesystem::rename(path(from), path(to), error);
    ASSERT_FALSE(error) << from << " -> " << to << ": " << error.message();
  }

  void set_files(std::map<std::string, std::vector<std::string>> files) {
    const std::vector<std::string> warnings = watcher().set_files(std::move(files));
    EXPECT_TRUE(warnings.empty()) << warnings.front();
  }

  // Reads changes until `binding` is marked or `timeout` passes, waiting for the descriptor
  // with poll(2); returns every binding marked meanwhile. Re-arming may need several reads
  // when directories appear one after another.
  Bindings read_until(const std::string& binding,
                      std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    Bindings marked;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!marked.contains(binding) && wait_readable(deadline)) {
      Watcher::Changes changes = watcher().read_changes();
      EXPECT_TRUE(changes.warnings.empty()) << changes.warnings.front();
      marked.merge(changes.bindings);
    }
    return marked;
  }

  // Everything reported within a short quiet period: events are queued by the system call
  // that causes them, so anything there is to see is there already.
  Watcher::Changes read_quietly(std::chrono::milliseconds period = std::chrono::milliseconds(50)) {
    Watcher::Changes all;
    const auto deadline = std::chrono::steady_clock::now() + period;
    while (wait_readable(deadline)) {
      Watcher::Changes changes = watcher().read_changes();
      all.bindings.merge(changes.bindings);
      all.overflow = all.overflow || changes.overflow;
      all.warnings.insert(all.warnings.end(), changes.warnings.begin(), changes.warnings.end());
    }
    return all;
  }

  bool wait_readable(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd entry{watcher().fd(), POLLIN, 0};
    return ::poll(&entry, 1, static_cast<int>(left.count())) == 1;
  }

 private:
  testing::TempDir temp_dir_;
  std::filesystem::path root_;
  std::optional<Watcher> watcher_;
};

}  // namespace apig_certd::watch
