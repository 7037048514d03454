// StateStore against real directories in a TempDir: creation and modes, save/load round
// trips, and the forgiving load that moves a corrupt or unreadable state.json aside.

#include "daemon/state/state_store.h"

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/core/time_format.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::state {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::TempDir;

SystemTime at(std::string_view text) {
  const Result<SystemTime> time = parse_utc_iso8601(text);
  EXPECT_TRUE(time) << text;
  return time ? *time : SystemTime{};
}

mode_t permission_bits(const std::filesystem::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777U;
}

std::set<std::string> entries(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

State sample_state() {
  State state;
  TargetState target;
  target.binding = "example";
  target.instance_id = "inst";
  target.group_id = "grp";
  target.domain = "www.example.com";
  target.domain_id = "d-1";
  target.bound_sha256 = "ab12";
  target.bound_at = at("2026-11-01T08:30:05Z");
  target.last_result = state::TargetResult::Bound;
  target.created.push_back(
      {"ssl-1", "name-1", "ab12", at("2026-11-01T08:30:00Z"), std::nullopt, ""});
  state.targets[target_key(target.binding, target.instance_id, target.group_id, target.domain,
                           target.domain_id)] = target;
  return state;
}

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() { clock_.set_now(at("2026-01-02T03:04:05Z")); }

  StateStore open_store() {
    Result<StateStore> store = StateStore::open(state_dir(), clock_);
    EXPECT_TRUE(store) << store.error().to_string();
    return std::move(*store);
  }
  std::filesystem::path state_dir() const { return temp_dir_ / "var" / "lib" / "apig-certd"; }

  TempDir temp_dir_;
  FakeClock clock_;
};

TEST_F(StateStoreTest, CreatesThePrivateStateDirectoryAndItsParents) {
  const StateStore store = open_store();
  EXPECT_EQ(store.directory(), state_dir());
  EXPECT_EQ(store.state_file(), state_dir() / "state.json");
  EXPECT_EQ(store.lock_file(), state_dir() / "lock");
  EXPECT_TRUE(std::filesystem::is_directory(state_dir()));
  EXPECT_EQ(permission_bits(state_dir()), 0700U);
  EXPECT_TRUE(std::filesystem::is_directory(temp_dir_ / "var" / "lib"));
}

TEST_F(StateStoreTest, CreatesTheDirectoryWithExactModeWhateverTheUmask) {
  const mode_t old = ::umask(0);
  const Result<StateStore> store = StateStore::open(temp_dir_ / "state", clock_);
  ::umask(old);
  ASSERT_TRUE(store);
  EXPECT_EQ(permission_bits(temp_dir_ / "state"), 0700U);
}

TEST_F(StateStoreTest, UsesAnExistingDirectoryAsItIs) {
  std::filesystem::create_directories(state_dir());
  std::filesystem::permissions(state_dir(), std::filesystem::perms::owner_all |
                                                std::filesystem::perms::group_read |
                                                std::filesystem::perms::group_exec);
  const StateStore store = open_store();
  EXPECT_EQ(permission_bits(state_dir()), 0750U);
}

TEST_F(StateStoreTest, RefusesAFileWhereTheDirectoryShouldBe) {
  const auto path = temp_dir_.write("state", "not a directory");
  const Result<StateStore> store = StateStore::open(path, clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(store.error().to_string(),
            "opening the state directory '" + path.string() + "': not a directory");
}

TEST_F(StateStoreTest, MissingFileLoadsAsEmptyState) {
  StateStore store = open_store();
  const Result<LoadedState> loaded = store.load();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->state, State{});
  EXPECT_FALSE(loaded->moved_aside);
  EXPECT_EQ(loaded->problem, "");
}

TEST_F(StateStoreTest, SavesAndLoadsTheState) {
  StateStore store = open_store();
  ASSERT_TRUE(store.save(sample_state()));
  EXPECT_EQ(permission_bits(store.state_file()), 0600U);
  EXPECT_EQ(entries(state_dir()), std::set<std::string>{"state.json"});
  const Result<LoadedState> loaded = store.load();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->state, sample_state());
  EXPECT_FALSE(loaded->moved_aside);

  // A second save replaces the first.
  ASSERT_TRUE(store.save(State{}));
  const Result<LoadedState> again = store.load();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, State{});
}

TEST_F(StateStoreTest, StateFileIsPrivateEvenWithAZeroUmask) {
  StateStore store = open_store();
  const mode_t old = ::umask(0);
  const Result<void> saved = store.save(sample_state());
  ::umask(old);
  ASSERT_TRUE(saved);
  EXPECT_EQ(permission_bits(store.state_file()), 0600U);
}

TEST_F(StateStoreTest, CorruptFileIsMovedAsideAndAnEmptyStateReturned) {
  StateStore store = open_store();
  const std::string garbage = R"({"version": 1, "targets": {tru)";
  temp_dir_.write("var/lib/apig-certd/state.json", garbage);
  const Result<LoadedState> loaded = store.load();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->state, State{});
  const auto aside = state_dir() / "state.json.corrupt-20260102T030405Z";
  EXPECT_EQ(loaded->moved_aside, aside);
  EXPECT_NE(loaded->problem.find("not valid JSON"), std::string::npos) << loaded->problem;
  EXPECT_NE(loaded->problem.find(store.state_file().string()), std::string::npos);
  EXPECT_EQ(testing::read_file(aside), garbage);
  EXPECT_FALSE(std::filesystem::exists(store.state_file()));

  // The next load starts fresh and a save works again.
  const Result<LoadedState> next = store.load();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->moved_aside);
  EXPECT_TRUE(store.save(sample_state()));
}

TEST_F(StateStoreTest, WrongVersionOrTypesAreMovedAside) {
  StateStore store = open_store();
  temp_dir_.write("var/lib/apig-certd/state.json", R"({"version": 7, "targets": {}})");
  const Result<LoadedState> loaded = store.load();
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->moved_aside);
  EXPECT_NE(loaded->problem.find("unsupported state version 7"), std::string::npos);

  clock_.advance(milliseconds(60'000));
  temp_dir_.write("var/lib/apig-certd/state.json",
                  R"({"version": 1, "targets": {"k": {"ssl_id": 1}}})");
  const Result<LoadedState> typed = store.load();
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->moved_aside, state_dir() / "state.json.corrupt-20260102T030505Z");
  EXPECT_NE(typed->problem.find(R"(targets["k"].ssl_id: expected a string)"), std::string::npos)
      << typed->problem;
}

TEST_F(StateStoreTest, SecondCorruptionInTheSameSecondGetsItsOwnName) {
  StateStore store = open_store();
  temp_dir_.write("var/lib/apig-certd/state.json", "first");
  const Result<LoadedState> first = store.load();
  ASSERT_TRUE(first);
  temp_dir_.write("var/lib/apig-certd/state.json", "second");
  const Result<LoadedState> second = store.load();
  ASSERT_TRUE(second);
  const auto base = state_dir() / "state.json.corrupt-20260102T030405Z";
  EXPECT_EQ(first->moved_aside, base);
  EXPECT_EQ(second->moved_aside, base.string() + "-2");
  EXPECT_EQ(testing::read_file(base), "first");
  EXPECT_EQ(testing::read_file(base.string() + "-2"), "second");
}

TEST_F(StateStoreTest, DirectoryAtTheStateFileIsMovedAside) {
  StateStore store = open_store();
  temp_dir_.write("var/lib/apig-certd/state.json/leftover", "x");
  const Result<LoadedState> loaded = store.load();
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->state, State{});
  const auto aside = state_dir() / "state.json.corrupt-20260102T030405Z";
  EXPECT_EQ(loaded->moved_aside, aside);
  EXPECT_NE(loaded->problem.find("Is a directory"), std::string::npos) << loaded->problem;
  EXPECT_TRUE(std::filesystem::is_directory(aside));
  EXPECT_EQ(testing::read_file(aside / "leftover"), "x");
  EXPECT_TRUE(store.save(sample_state()));
}

TEST_F(StateStoreTest, SaveErrorsKeepTheirErrno) {
  StateStore store = open_store();
  // A directory in the way: rename(2) fails with EISDIR, whatever our privileges.
  std::filesystem::create_directory(store.state_file());
  const Result<void> saved = store.save(sample_state());
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().errnum(), EISDIR);
  EXPECT_TRUE(saved.error().to_string().starts_with("saving the state: writing '" +
                                                    store.state_file().string() + "'"))
      << saved.error().to_string();
  EXPECT_EQ(entries(state_dir()), std::set<std::string>{"state.json"});
}

TEST_F(StateStoreTest, LockExcludesASecondPass) {
  StateStore store = open_store();
  const Result<sys::FileLock> first = store.lock(milliseconds(0));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->path(), store.lock_file());
  const Result<sys::FileLock> second = store.lock(milliseconds(60));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Timeout);
  EXPECT_NE(second.error().message().find("'" + store.lock_file().string() + "'"),
            std::string::npos);
}

}  // namespace
}  // namespace apig_certd::state

namespace apig_certd::state {
namespace {

TEST(ReadStateFile, ReadsWithoutTouchingAnything) {
  const testing::TempDir temp_dir;
  const std::filesystem::path missing = temp_dir.path() / "nope" / "state.json";
  const Result<State> absent = read_state_file(missing);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), ErrorCode::NotFound);
  EXPECT_FALSE(std::filesystem::exists(missing.parent_path()));

  const std::filesystem::path corrupt = temp_dir.write("corrupt.json", "{ not json");
  const Result<State> broken = read_state_file(corrupt);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), ErrorCode::ParseError);
  EXPECT_NE(broken.error().to_string().find("corrupt.json"), std::string::npos);
  EXPECT_EQ(testing::read_file(corrupt), "{ not json");  // Not moved aside.

  State state;
  state.targets["b/i/g/d"].binding = "b";
  const std::filesystem::path good = temp_dir.write("good.json", to_json(state));
  const Result<State> loaded = read_state_file(good);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->targets.at("b/i/g/d").binding, "b");
}

}  // namespace
}  // namespace apig_certd::state
