// FileLock against a real lock file. flock(2) locks belong to the open file description, so
// two acquire() calls in one process conflict just as two processes do; the cross-process
// case is still tested once with fork(), the child and the parent talking through pipes.

#include "daemon/sys/file_lock.h"

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::sys::file_lock_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::TempDir;

class FileLockTest : public ::testing::Test {
 protected:
  std::filesystem::path lock_path() const { return temp_dir_ / "lock"; }

  TempDir temp_dir_;
};

TEST_F(FileLockTest, CreatesThePrivateLockFileAndWritesOurPid) {
  const Result<FileLock> lock = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(lock) << lock.error().to_string();
  EXPECT_EQ(lock->path(), lock_path());
  struct stat status {};
  ASSERT_EQ(::stat(lock_path().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777U, 0600U);
  EXPECT_EQ(testing::read_file(lock_path()), std::to_string(::getpid()) + "\n");
}

TEST_F(FileLockTest, SecondAcquireTimesOutNamingTheLockFileAndTheHolder) {
  const Result<FileLock> first = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(first);
  const auto start = steady_clock::now();
  const Result<FileLock> second = FileLock::acquire(lock_path(), milliseconds(300));
  const auto waited = steady_clock::now() - start;
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Timeout);
  EXPECT_GE(waited, milliseconds(300));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_EQ(second.error().message(), "another apig-certd holds the lock '" + lock_path().string() +
                                          "' (pid " + std::to_string(::getpid()) +
                                          "); waited 300ms");
  EXPECT_EQ(second.error().field("lock_holder_pid"), std::to_string(::getpid()));
}

TEST_F(FileLockTest, ZeroTimeoutTriesOnce) {
  const Result<FileLock> first = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(first);
  const auto start = steady_clock::now();
  const Result<FileLock> second = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Timeout);
  EXPECT_LT(steady_clock::now() - start, milliseconds(40));
}

TEST_F(FileLockTest, UnreadablePidIsLeftOutOfTheMessage) {
  const Result<FileLock> first = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(first);
  // Someone scribbled over the pid (or the holder has not written it yet).
  temp_dir_.write("lock", "not a pid");
  const Result<FileLock> second = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(),
            "another apig-certd holds the lock '" + lock_path().string() + "'; waited 0s");
  EXPECT_FALSE(second.error().field("lock_holder_pid"));
}

TEST_F(FileLockTest, IsReleasedOnDestruction) {
  {
    const Result<FileLock> first = FileLock::acquire(lock_path(), milliseconds(0));
    ASSERT_TRUE(first);
  }
  const Result<FileLock> again = FileLock::acquire(lock_path(), milliseconds(0));
  EXPECT_TRUE(again) << again.error().to_string();
}

TEST_F(FileLockTest, MovedLockStaysHeldUntilTheNewOwnerDies) {
  Result<FileLock> first = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(first);
  {
    const FileLock moved = std::move(*first);
    EXPECT_FALSE(FileLock::acquire(lock_path(), milliseconds(0)));
  }
  EXPECT_TRUE(FileLock::acquire(lock_path(), milliseconds(0)));
}

TEST_F(FileLockTest, WaiterGetsTheLockWhenTheHolderLetsGo) {
  std::optional<Result<FileLock>> holder = FileLock::acquire(lock_path(), milliseconds(0));
  ASSERT_TRUE(*holder);
  std::thread releaser([&holder] {
    std::this_thread::sleep_for(milliseconds(150));
    holder.reset();
  });
  const auto start = steady_clock::now();
  const Result<FileLock> waiter = FileLock::acquire(lock_path(), milliseconds(5000));
  const auto waited = steady_clock::now() - start;
  releaser.join();
  ASSERT_TRUE(waiter) << waiter.error().to_string();
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, milliseconds(2000));
}

TEST_F(FileLockTest, MissingDirectoryIsNotFound) {
  const auto path = temp_dir_ / "missing" / "lock";
  const Result<FileLock> lock = FileLock::acquire(path, milliseconds(0));
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), ErrorCode::NotFound);
  EXPECT_NE(lock.error().to_string().find(path.string()), std::string::npos);
}

// A pipe's ends, owned.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe make_pipe() {
  std::array<int, 2> fds{-1, -1};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool send_byte(const UniqueFd& fd) {
  const char byte = 'x';
  return ::write(fd.get(), &byte, 1) == 1;
}

bool receive_byte(const UniqueFd& fd) {
  char byte = 0;
  return ::read(fd.get(), &byte, 1) == 1;
}

// A forked child that takes the lock, says so through a pipe, and holds it until told to
// let go (or until the parent's end of the pipe closes, so a failed test cannot leave it
// hanging). The child leaves through _exit so no gtest state is torn down twice.
class LockHolderProcess {
 public:
  // The pipes are members created before pid_, so they exist when the constructor forks.
  explicit LockHolderProcess(const std::filesystem::path& lock_file) : pid_(::fork()) {
    if (pid_ == 0) {
      ::_exit(hold(lock_file, to_parent_.write_end, to_child_.read_end));
    }
    to_parent_.write_end.reset();
    to_child_.read_end.reset();
  }
  ~LockHolderProcess() {
    if (pid_ > 0) {
      to_child_.write_end.reset();
      ::waitpid(pid_, nullptr, 0);
    }
  }
  LockHolderProcess(const LockHolderProcess&) = delete;
  LockHolderProcess& operator=(const LockHolderProcess&) = delete;
  LockHolderProcess(LockHolderProcess&&) = delete;
  LockHolderProcess& operator=(LockHolderProcess&&) = delete;

  pid_t pid() const { return pid_; }
  // True once the child holds the lock.
  bool wait_until_locked() const { return pid_ > 0 && receive_byte(to_parent_.read_end); }
  // Tells the child to exit and returns its exit code (-1 when it did not exit normally).
  int release() {
    send_byte(to_child_.write_end);
    int status = 0;
    const bool reaped = ::waitpid(pid_, &status, 0) == pid_;
    pid_ = -1;
    return reaped && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  static int hold(const std::filesystem::path& lock_file, const UniqueFd& to_parent,
                  const UniqueFd& from_parent) {
    const Result<FileLock> lock = FileLock::acquire(lock_file, milliseconds(0));
    if (!lock) {
      return 1;
    }
    if (!send_byte(to_parent)) {
      return 2;
    }
    return receive_byte(from_parent) ? 0 : 3;
  }

  Pipe to_parent_ = make_pipe();
  Pipe to_child_ = make_pipe();
  pid_t pid_;
};

TEST_F(FileLockTest, ExcludesAnotherProcess) {
  LockHolderProcess holder(lock_path());
  ASSERT_TRUE(holder.wait_until_locked());

  const Result<FileLock> blocked = FileLock::acquire(lock_path(), milliseconds(100));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code(), ErrorCode::Timeout);
  EXPECT_NE(blocked.error().message().find("(pid " + std::to_string(holder.pid()) + ")"),
            std::string::npos)
      << blocked.error().message();

  // The child's exit closes its descriptor and so releases the lock.
  EXPECT_EQ(holder.release(), 0);
  const Result<FileLock> after = FileLock::acquire(lock_path(), milliseconds(0));
  EXPECT_TRUE(after) << after.error().to_string();
}

}  // namespace
}  // namespace apig_certd::sys::file_lock_test
