// write_file_atomically(), sync_directory() and read_small_file() against real files in a
// TempDir. The tests run as root in CI, where permission bits do not stop anything, so
// failures are provoked with things root cannot override: a missing directory (ENOENT), a
// directory standing where the file should go (rename fails with EISDIR after the temp file
// was fully written) and RLIMIT_FSIZE (EFBIG, in a forked child so the limit does not stick).

#include "daemon/sys/atomic_file.h"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::sys::atomic_file_test {
namespace {

using testing::TempDir;

// Sets the umask for the lifetime of the object.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;
  UmaskGuard(UmaskGuard&&) = delete;
  UmaskGuard& operator=(UmaskGuard&&) = delete;

 private:
  mode_t old_;
};

std::set<std::string> entries(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

mode_t permission_bits(const std::filesystem::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777U;
}

// In a forked child: limits the file size to 1 KiB, ignores SIGXFSZ so write(2) fails with
// EFBIG instead of killing the process, and writes 4 KiB over `path` (which holds "old").
// Returns 0 when all went as expected, 1 no error, 2 wrong errno, 3 leftovers, 4 the old
// content changed.
// With `in_pieces`, the 4 KiB come as four pieces of 1 KiB: the second fails, and the
// producer's later pieces must be dropped rather than written or turned into another error.
int write_beyond_file_size_limit(const std::filesystem::path& path, bool in_pieces = false) {
  ::signal(SIGXFSZ, SIG_IGN);
  constexpr rlim_t kLimit = 1024;
  const rlimit limit{kLimit, kLimit};
  ::setrlimit(RLIMIT_FSIZE, &limit);
  const auto four_pieces = [](const std::function<void(std::string_view)>& write) {
    for (int i = 0; i < 4; ++i) {
      write(std::string(1024, 'x'));
    }
  };
  const Result<void> written = in_pieces
                                   ? write_file_atomically(path, four_pieces, 0600)
                                   : write_file_atomically(path, std::string(4096, 'x'), 0600);
  if (written) {
    return 1;
  }
  if (written.error().errnum() != EFBIG) {
    return 2;
  }
  if (entries(path.parent_path()) != std::set<std::string>{path.filename().string()}) {
    return 3;
  }
  return testing::read_file(path) == "old" ? 0 : 4;
}

class AtomicFileTest : public ::testing::Test {
 protected:
  TempDir temp_dir_;
};

TEST_F(AtomicFileTest, CreatesTheFile) {
  const auto path = temp_dir_ / "state.json";
  ASSERT_TRUE(write_file_atomically(path, "{}\n", 0600));
  EXPECT_EQ(testing::read_file(path), "{}\n");
  EXPECT_EQ(entries(temp_dir_.path()), std::set<std::string>{"state.json"});
}

TEST_F(AtomicFileTest, ReplacesExistingContent) {
  const auto path = temp_dir_.write("state.json", "old content that is longer than the new");
  ASSERT_TRUE(write_file_atomically(path, "new", 0600));
  EXPECT_EQ(testing::read_file(path), "new");
  EXPECT_EQ(entries(temp_dir_.path()), std::set<std::string>{"state.json"});
}

TEST_F(AtomicFileTest, ReplacesTheInodeSoOpenReadersKeepTheOldContent) {
  const auto path = temp_dir_.write("state.json", "old");
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(write_file_atomically(path, "new", 0600));
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
}

TEST_F(AtomicFileTest, WritesEmptyAndLargeContent) {
  const auto empty = temp_dir_ / "empty";
  ASSERT_TRUE(write_file_atomically(empty, "", 0600));
  EXPECT_EQ(std::filesystem::file_size(empty), 0U);

  std::string large(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < large.size(); i += 4096) {
    large[i] = static_cast<char>('a' + (i / 4096) % 26);
  }
  const auto big = temp_dir_ / "big";
  ASSERT_TRUE(write_file_atomically(big, large, 0600));
  EXPECT_EQ(testing::read_file(big), large);
}

TEST_F(AtomicFileTest, SetsTheExactModeWhateverTheUmask) {
  {
    const UmaskGuard umask_guard(0);
    const auto path = temp_dir_ / "zero-umask";
    ASSERT_TRUE(write_file_atomically(path, "x", 0600));
    EXPECT_EQ(permission_bits(path), 0600U);
  }
  {
    const UmaskGuard umask_guard(077);
    const auto path = temp_dir_ / "strict-umask";
    ASSERT_TRUE(write_file_atomically(path, "x", 0644));
    EXPECT_EQ(permission_bits(path), 0644U);
  }
  // Replacing a file with looser permissions tightens them.
  const auto loose = temp_dir_.write("loose", "x", std::filesystem::perms::all);
  ASSERT_TRUE(write_file_atomically(loose, "y", 0600));
  EXPECT_EQ(permission_bits(loose), 0600U);
}

TEST_F(AtomicFileTest, WorksWithARelativePathInTheCurrentDirectory) {
  const auto old_directory = std::filesystem::current_path();
  std::filesystem::current_path(temp_dir_.path());
  const Result<void> written = write_file_atomically("relative.json", "ok", 0600);
  std::filesystem::current_path(old_directory);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(testing::read_file(temp_dir_ / "relative.json"), "ok");
}

TEST_F(AtomicFileTest, MissingDirectoryFailsWithErrnoAndPath) {
  const auto path = temp_dir_ / "missing" / "state.json";
  const Result<void> written = write_file_atomically(path, "x", 0600);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(written.error().errnum(), ENOENT);
  EXPECT_NE(written.error().to_string().find("writing '" + path.string() + "'"), std::string::npos)
      << written.error().to_string();
  EXPECT_EQ(entries(temp_dir_.path()), std::set<std::string>{});
}

TEST_F(AtomicFileTest, FailedRenameRemovesTheTempFileAndKeepsTheTarget) {
  // A directory where the file should be: everything succeeds up to rename(2), which fails
  // with EISDIR, so the fully written temp file must be cleaned up.
  const auto path = temp_dir_ / "state.json";
  std::filesystem::create_directory(path);
  temp_dir_.write("state.json/inside", "keep");
  const Result<void> written = write_file_atomically(path, "new", 0600);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().errnum(), EISDIR);
  EXPECT_NE(written.error().to_string().find("rename"), std::string::npos);
  EXPECT_EQ(entries(temp_dir_.path()), std::set<std::string>{"state.json"});
  EXPECT_EQ(testing::read_file(path / "inside"), "keep");
}

// Runs write_beyond_file_size_limit() in a child, so that the file size limit and the
// ignored SIGXFSZ do not leak into other tests; its exit code (-1 when it did not exit).
int in_a_child(const std::filesystem::path& path, bool in_pieces) {
  const pid_t child = ::fork();
  if (child < 0) {
    return -1;
  }
  if (child == 0) {
    ::_exit(write_beyond_file_size_limit(path, in_pieces));
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

TEST_F(AtomicFileTest, FileTooLargeForTheLimitFailsWithEfbigAndLeavesNoTempFile) {
  const auto path = temp_dir_.write("state.json", "old");
  EXPECT_EQ(in_a_child(path, false), 0);
  EXPECT_EQ(testing::read_file(path), "old");
}

TEST_F(AtomicFileTest, AFailedPieceDropsTheRestAndLeavesNoTempFile) {
  const auto path = temp_dir_.write("state.json", "old");
  EXPECT_EQ(in_a_child(path, true), 0);
  EXPECT_EQ(testing::read_file(path), "old");
}

TEST_F(AtomicFileTest, WritesContentGivenInPieces) {
  const auto path = temp_dir_.path() / "state.json";
  const std::string large(200 * 1024, 'y');
  int calls = 0;
  const auto produce = [&](const std::function<void(std::string_view)>& write) {
    ++calls;
    write("{");
    write("");
    write(large);
    write("}\n");
  };
  ASSERT_TRUE(write_file_atomically(path, produce, 0640));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(testing::read_file(path), "{" + large + "}\n");
  EXPECT_EQ(permission_bits(path), 0640U);
  EXPECT_EQ(entries(temp_dir_.path()), std::set<std::string>{"state.json"});
}

TEST_F(AtomicFileTest, SyncsADirectory) {
  EXPECT_TRUE(sync_directory(temp_dir_.path()));
}

TEST_F(AtomicFileTest, SyncingAMissingDirectoryFails) {
  const Result<void> synced = sync_directory(temp_dir_ / "missing");
  ASSERT_FALSE(synced);
  EXPECT_EQ(synced.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(synced.error().errnum(), ENOENT);
}

TEST_F(AtomicFileTest, ReadsAWholeFile) {
  const auto path = temp_dir_.write("data", "hello\nworld\n");
  const Result<std::string> content = read_small_file(path, 100);
  ASSERT_TRUE(content) << content.error().to_string();
  EXPECT_EQ(*content, "hello\nworld\n");
}

TEST_F(AtomicFileTest, ReadsEmptyAndExactlyMaximalFiles) {
  const Result<std::string> empty = read_small_file(temp_dir_.write("empty", ""), 10);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
  const std::string exact(40'000, 'z');  // More than one read chunk.
  const Result<std::string> full = read_small_file(temp_dir_.write("exact", exact), exact.size());
  ASSERT_TRUE(full);
  EXPECT_EQ(*full, exact);
}

TEST_F(AtomicFileTest, ReadingAMissingFileIsNotFound) {
  const Result<std::string> content = read_small_file(temp_dir_ / "missing", 100);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(content.error().errnum(), ENOENT);
  EXPECT_NE(content.error().to_string().find("missing'"), std::string::npos);
}

TEST_F(AtomicFileTest, ReadingATooLargeFileFails) {
  const Result<std::string> content = read_small_file(temp_dir_.write("big", "0123456789"), 9);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(content.error().to_string().find("larger than 9 bytes"), std::string::npos);
}

TEST_F(AtomicFileTest, ReadingADirectoryIsEisdir) {
  const Result<std::string> content = read_small_file(temp_dir_.path(), 100);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(content.error().errnum(), EISDIR);
}

TEST_F(AtomicFileTest, ReadingAFifoDoesNotBlock) {
  const auto path = temp_dir_ / "fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const Result<std::string> content = read_small_file(path, 100);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(content.error().to_string().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace apig_certd::sys::atomic_file_test
