// How `apig-certd run` reads its state at start. The first pass's lock and state read are
// prefetched on a thread of their own while the daemon builds its session and watches
// (PassRunner::prefetch_state()): the read must still happen under the lock, so that a
// deploy hook's `sync` that holds the lock when the daemon starts is never undone by a state
// read before it finished; and a state file that does not parse is still moved aside and said
// so by the pass, as without the prefetch. The real binary against apig-sim.

#include <chrono>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::run_start_state_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";

class RunStartStateTest : public RunTest {
 protected:
  // One binding, bound and in sync by a first `sync`.
  void bind_in_sync() {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    certbot_renew("site", renewal_chain({kDomain}, 60), 1);
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live/site";
    add_file_binding("site", live / "fullchain.pem", live / "privkey.pem", kDomain);
    const ProcessResult first = sync({"--no-wait"});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  }

  json read_state() const { return json::parse(read_file(state_file())); }

  // The one target's record in `state`.
  static json& the_target(json& state) {
    EXPECT_EQ(state["targets"].size(), 1U) << state.dump(2);
    return state["targets"].begin().value();
  }
};

TEST_F(RunStartStateTest, TheStateIsReadOnlyOnceTheLockIsFree) {
  bind_in_sync();
  // What `sync` does: flock(2) on the state directory's lock file.
  const int held = ::open((state_dir() / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  clear_requests();
  start_daemon();
  // The daemon is up: it logs this line just before it starts its first pass, which then
  // waits for the lock.
  ASSERT_TRUE(daemon_->wait_for_stderr("started: 1 binding(s)", milliseconds(20'000)))
      << daemon_->stderr_text();
  // A deploy hook's sync holds the lock and rewrites the state meanwhile. Its record (here a
  // counter no pass in sync changes) must survive the daemon's first pass.
  json state = read_state();
  the_target(state)["bind_successes"] = 41;
  rewrite_in_place(state_file(), state.dump(2) + "\n");
  EXPECT_FALSE(notify_->wait_for("READY=1", milliseconds(0)))
      << "READY=1 while another process held the state lock\n"
      << daemon_->stderr_text();
  EXPECT_EQ(count_requests("GET"), 0) << "the first pass ran without the lock\n"
                                      << describe_requests();
  ::close(held);  // lets go of the lock

  wait_ready();
  json after = read_state();
  EXPECT_EQ(the_target(after).value("bind_successes", 0), 41) << after.dump(2);
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
}

TEST_F(RunStartStateTest, ACorruptStateIsMovedAsideSaidAndRebuilt) {
  bind_in_sync();
  rewrite_in_place(state_file(), "{\"version\": 1, \"targets\": {");
  start_daemon();
  wait_ready();
  EXPECT_TRUE(daemon_->wait_for_stderr("moved it aside to", milliseconds(5'000)))
      << daemon_->stderr_text();
  int moved_aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir())) {
    moved_aside += entry.path().filename().string().starts_with("state.json.corrupt-") ? 1 : 0;
  }
  EXPECT_EQ(moved_aside, 1);
  json rebuilt = read_state();
  EXPECT_EQ(the_target(rebuilt).value("last_result", ""), "in_sync") << rebuilt.dump(2);
}

}  // namespace
}  // namespace apig_certd::testing::run_start_state_test
