// UniqueFd: ownership, moves, release and reset against real descriptors (pipes). Whether a
// descriptor is still open is asked with fcntl(F_GETFD); the tests are single-threaded, so
// no other thread can reuse a closed number in between.

#include "daemon/sys/unique_fd.h"

#include <array>
#include <cerrno>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace apig_certd::sys::unique_fd_test {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

// A pipe's two ends, each owned by a UniqueFd.
std::pair<UniqueFd, UniqueFd> make_fd_pipe() {
  std::array<int, 2> fds{-1, -1};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

static_assert(!std::is_copy_constructible_v<UniqueFd>);
static_assert(!std::is_copy_assignable_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);
static_assert(!std::is_convertible_v<UniqueFd, int>, "no implicit conversion to int");
static_assert(!std::is_convertible_v<int, UniqueFd>, "the constructor is explicit");
static_assert(!std::is_convertible_v<UniqueFd, bool>, "operator bool is explicit");

TEST(UniqueFd, DefaultHoldsNothing) {
  const UniqueFd fd;
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = -1;
  {
    auto [read_end, write_end] = make_fd_pipe();
    raw = read_end.get();
    EXPECT_TRUE(read_end);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveConstructionTransfersOwnership) {
  auto [read_end, write_end] = make_fd_pipe();
  const int raw = read_end.get();
  UniqueFd moved(std::move(read_end));
  EXPECT_EQ(moved.get(), raw);
  EXPECT_FALSE(read_end);  // NOLINT(bugprone-use-after-move): checking the moved-from state.
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesTheOldDescriptor) {
  auto [first_read, first_write] = make_fd_pipe();
  auto [second_read, second_write] = make_fd_pipe();
  const int first = first_read.get();
  const int second = second_read.get();
  first_read = std::move(second_read);
  EXPECT_FALSE(is_open(first));
  EXPECT_EQ(first_read.get(), second);
  EXPECT_TRUE(is_open(second));
  EXPECT_FALSE(second_read);  // NOLINT(bugprone-use-after-move): checking the moved-from state.
}

TEST(UniqueFd, ReleaseGivesUpOwnershipWithoutClosing) {
  int raw = -1;
  {
    auto [read_end, write_end] = make_fd_pipe();
    raw = read_end.release();
    EXPECT_FALSE(read_end);
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesAndAdopts) {
  auto [read_end, write_end] = make_fd_pipe();
  const int old = read_end.get();
  auto [other_read, other_write] = make_fd_pipe();
  const int adopted = other_read.release();
  read_end.reset(adopted);
  EXPECT_FALSE(is_open(old));
  EXPECT_EQ(read_end.get(), adopted);
  read_end.reset();
  EXPECT_FALSE(read_end);
  EXPECT_FALSE(is_open(adopted));
}

TEST(UniqueFd, CloseReportsSuccessAndLeavesNothing) {
  auto [read_end, write_end] = make_fd_pipe();
  const int raw = write_end.get();
  const Result<void> closed = write_end.close();
  EXPECT_TRUE(closed);
  EXPECT_FALSE(write_end);
  EXPECT_FALSE(is_open(raw));
  // Closing an empty UniqueFd is a no-op.
  EXPECT_TRUE(write_end.close());
}

TEST(UniqueFd, CloseReportsErrorsWithErrno) {
  // A number that is not an open descriptor: close(2) fails with EBADF.
  UniqueFd fd(1'000'000);
  const Result<void> closed = fd.close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().errnum(), EBADF);
  EXPECT_FALSE(fd);
}

}  // namespace
}  // namespace apig_certd::sys::unique_fd_test
