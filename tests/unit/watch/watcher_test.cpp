// Watcher with real inotify in a temp dir: the descriptor, which bindings an event marks,
// how watches follow set_files() and the filesystem, overflow, and unwatchable directories.
// The producer sequences of real ACME clients are in watcher_producers_test.cpp.

#include "daemon/watch/watcher.h"

#include <fstream>
#include <type_traits>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/watch/watcher_fixture.h"

namespace apig_certd::watch::watcher_test {
namespace {

namespace fs = std::filesystem;

static_assert(!std::is_copy_constructible_v<Watcher>);
static_assert(std::is_nothrow_move_constructible_v<Watcher>);
static_assert(std::is_nothrow_move_assignable_v<Watcher>);

class WatcherTest : public WatcherFixture {};

TEST_F(WatcherTest, DescriptorIsNonBlockingAndCloseOnExec) {
  const int fd = watcher().fd();
  ASSERT_GE(fd, 0);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(WatcherTest, ReadingWithNothingPendingReturnsAtOnceWithNoChanges) {
  write("a/cert.pem");
  set_files({{"a", {path("a/cert.pem")}}});
  const Watcher::Changes changes = watcher().read_changes();
  EXPECT_TRUE(changes.bindings.empty());
  EXPECT_FALSE(changes.overflow);
  EXPECT_TRUE(changes.warnings.empty());
}

TEST_F(WatcherTest, NoFilesWatchNothing) {
  set_files({});
  EXPECT_TRUE(watcher().watched_directories().empty());
  set_files({{"empty", {}}});
  EXPECT_TRUE(watcher().watched_directories().empty());
}

TEST_F(WatcherTest, EventInAnUnrelatedDirectoryMarksNothing) {
  write("a/cert.pem");
  write("b/cert.pem");
  set_files({{"a", {path("a/cert.pem")}}, {"b", {path("b/cert.pem")}}});

  write("elsewhere/cert.pem");
  write("unrelated.txt");
  EXPECT_TRUE(read_quietly().bindings.empty());

  write("a/something-else.txt");
  EXPECT_EQ(read_quietly().bindings, Bindings{"a"});
}

TEST_F(WatcherTest, BindingsSharingADirectoryAreBothMarked) {
  write("shared/one.pem");
  write("shared/two.pem");
  write("other/three.pem");
  set_files({{"one", {path("shared/one.pem")}},
             {"two", {path("shared/two.pem")}},
             {"three", {path("other/three.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("other"), path("shared")}));

  write("shared/one.pem", "renewed");
  EXPECT_EQ(read_quietly().bindings, (Bindings{"one", "two"}));
}

TEST_F(WatcherTest, RemovingABindingRemovesItsWatches) {
  write("a/cert.pem");
  write("b/cert.pem");
  set_files({{"a", {path("a/cert.pem")}}, {"b", {path("b/cert.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("a"), path("b")}));

  set_files({{"a", {path("a/cert.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), Directories{path("a")});
  EXPECT_TRUE(read_quietly().bindings.empty());  // Only IN_IGNORED for the removed watch.

  write("b/cert.pem", "renewed");
  EXPECT_TRUE(read_quietly().bindings.empty());
  write("a/cert.pem", "renewed");
  EXPECT_EQ(read_quietly().bindings, Bindings{"a"});
}

TEST_F(WatcherTest, DeletedDirectoryFallsBackToItsParentAndComesBack) {
  write("site/cert.pem");
  set_files({{"site", {path("site/cert.pem")}}});

  std::error_code error;
  fs::remove_all(path("site"), error);
  ASSERT_FALSE(error);
  EXPECT_TRUE(read_until("site").contains("site"));
  EXPECT_EQ(watcher().watched_directories(), Directories{root()});

  write("site/cert.pem", "reissued");
  EXPECT_TRUE(read_until("site").contains("site"));
  read_quietly();
  EXPECT_EQ(watcher().watched_directories(), Directories{path("site")});
}

// inotify watches inodes: a watched directory renamed to the path another binding wants
// keeps its descriptor, now reachable under the new path. Dropping the old path must not
// drop the watch.
TEST_F(WatcherTest, RenamedDirectoryKeepsItsWatchUnderTheNewName) {
  write("a/cert.pem");
  set_files({{"a", {path("a/cert.pem")}}, {"b", {path("b/cert.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), (Directories{root(), path("a")}));

  rename("a", "b");
  const Bindings marked = read_until("b");
  EXPECT_EQ(marked, (Bindings{"a", "b"}));
  EXPECT_EQ(watcher().watched_directories(), (Directories{root(), path("b")}));
  // Nothing more: in particular no IN_IGNORED, the watch was not removed.
  EXPECT_TRUE(read_quietly().bindings.empty());

  write("b/cert.pem", "renewed");
  EXPECT_EQ(read_quietly().bindings, Bindings{"b"});
}

// Queues `count` IN_ATTRIB events by chmod'ing two files in turn: the kernel only merges an
// event identical to the one queued last.
bool queue_attribute_events(const fs::path& first, const fs::path& second, int count) {
  const sys::UniqueFd first_fd(::open(first.c_str(), O_RDONLY | O_CLOEXEC));
  const sys::UniqueFd second_fd(::open(second.c_str(), O_RDONLY | O_CLOEXEC));
  if (!first_fd || !second_fd) {
    return false;
  }
  for (int i = 0; i < count; ++i) {
    const int fd = (i % 2 == 0 ? first_fd : second_fd).get();
    if (::fchmod(fd, i % 4 < 2 ? 0600 : 0400) != 0) {
      return false;
    }
  }
  return true;
}

TEST_F(WatcherTest, OverflowMarksEveryBindingAndTheWatcherCarriesOn) {
  int max_queued_events = 0;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued_events;
  if (max_queued_events <= 0 || max_queued_events > 65536) {
    GTEST_SKIP() << "fs.inotify.max_queued_events is " << max_queued_events;
  }
  write("busy/cert.pem");
  write("busy/key.pem");
  write("quiet/cert.pem");
  set_files({{"busy", {path("busy/cert.pem")}}, {"quiet", {path("quiet/cert.pem")}}});

  ASSERT_TRUE(
      queue_attribute_events(path("busy/cert.pem"), path("busy/key.pem"), max_queued_events + 1));

  const Watcher::Changes changes = read_quietly();
  EXPECT_TRUE(changes.overflow);
  EXPECT_EQ(changes.bindings, (Bindings{"busy", "quiet"}));

  write("quiet/cert.pem", "renewed");
  const Watcher::Changes after = read_quietly();
  EXPECT_FALSE(after.overflow);
  EXPECT_EQ(after.bindings, Bindings{"quiet"});
}

// Run in a forked child: drops to nobody when root, watches `open` and `locked`, and
// returns 0 or the number of the check that failed (the child cannot use gtest assertions).
int watch_as_unprivileged_user(const fs::path& root) {
  if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
    return 10;
  }
  Result<Watcher> watcher = Watcher::create();
  if (!watcher) {
    return 11;
  }
  const std::vector<std::string> warnings = watcher->set_files(
      {{"open", {root / "open/cert.pem"}}, {"locked", {root / "locked/cert.pem"}}});
  const std::string expected =
      "watching '" + (root / "locked").string() + "': inotify_add_watch: Permission denied";
  if (warnings != std::vector<std::string>{expected}) {
    return 12;
  }
  if (watcher->watched_directories() != std::vector<fs::path>{root / "open"}) {
    return 13;
  }
  // A lasting problem is reported by set_files(), not again on every event.
  std::ofstream(root / "open/new.pem") << "x";
  pollfd entry{watcher->fd(), POLLIN, 0};
  if (::poll(&entry, 1, 2000) != 1) {
    return 14;
  }
  const Watcher::Changes changes = watcher->read_changes();
  if (changes.bindings != std::set<std::string>{"open"} || !changes.warnings.empty()) {
    return 15;
  }
  return 0;
}

// Root may read any directory, so the unwatchable directory is made for an unprivileged
// user: a forked child drops to nobody (when we are root) and reports through its exit code.
TEST_F(WatcherTest, UnwatchableDirectoryIsAWarningAndTheRestIsWatched) {
  write("open/cert.pem");
  write("locked/cert.pem");
  fs::permissions(root(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(path("open"), fs::perms::all);
  fs::permissions(path("locked"), fs::perms::owner_all);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(watch_as_unprivileged_user(root()));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's exit code names the failed check";
}

TEST_F(WatcherTest, MovedWatcherKeepsItsDescriptorAndWatches) {
  write("a/cert.pem");
  set_files({{"a", {path("a/cert.pem")}}});
  const int fd = watcher().fd();

  Watcher moved = std::move(watcher());
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(moved.watched_directories(), Directories{path("a")});
  EXPECT_EQ(watcher().fd(), -1);  // NOLINT(bugprone-use-after-move): moved-from is specified.
  EXPECT_TRUE(watcher().read_changes().bindings.empty());

  write("a/cert.pem", "renewed");
  pollfd entry{moved.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&entry, 1, 2000), 1);
  EXPECT_EQ(moved.read_changes().bindings, Bindings{"a"});
}

}  // namespace
}  // namespace apig_certd::watch::watcher_test
