// `apig-certd run` when the wall clock is set while the daemon waits (issue 17, "Time"): the
// debounce is monotonic time, so a renewal is bound once the debounce has passed even when
// the wall clock is set back an hour in the middle of it. The daemon's wall clock is moved by
// libfaketime (Debian: libfaketime), read from a file the test rewrites; monotonic time stays
// real. Without libfaketime the test is skipped.

#include "daemon/core/time_format.h"
#include "tests/integration/run_fixture.h"
#include "tests/support/sanitized.h"

namespace apig_certd::testing::run_clock_test {
namespace {

constexpr const char* kDomain = "www.example.com";

std::optional<std::filesystem::path> find_libfaketime() {
  for (const char* path : {"/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                           "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
                           "/usr/lib/faketime/libfaketimeMT.so.1"}) {
    if (std::filesystem::exists(path)) {
      return path;
    }
  }
  return std::nullopt;
}

// A certificate for kDomain with `key`, valid from 30 days ago (so a clock set back an hour
// still finds it valid) for 60 days.
TestChain chain_with(const TestKey& key) {
  static const TestCa root = TestCa::create("apig-certd clock test root");
  static const TestCa issuing = root.intermediate("apig-certd clock test issuing CA");
  return {key,
          issuing.issue({.sans = {kDomain},
                         .not_before_offset = std::chrono::hours(-24 * 30),
                         .not_after_offset = std::chrono::hours(24 * 60)},
                        key),
          issuing.pem(), root.pem()};
}

class RunClockTest : public RunTest {
 protected:
  // libfaketime's offset for the daemon ("+0", "-3600"), replaced atomically: the daemon
  // reads the file at every clock call (FAKETIME_NO_CACHE=1).
  void set_wall_offset(const std::string& offset) const {
    const std::filesystem::path staged = temp_dir_.path() / "faketime.tmp";
    std::ofstream(staged) << offset << "\n";
    std::filesystem::rename(staged, faketime_file());
  }

  std::filesystem::path faketime_file() const { return temp_dir_.path() / "faketime"; }
};

TEST_F(RunClockTest, RenewalIsBoundAfterTheDebounceWhenTheWallClockIsSetBackDuringIt) {
  const std::optional<std::filesystem::path> libfaketime = find_libfaketime();
  if (!libfaketime) {
    GTEST_SKIP() << "libfaketime is not installed (Debian package libfaketime)";
  }
  if (kSanitized) {
    GTEST_SKIP() << "a sanitizer build: its runtime and libfaketime's LD_PRELOAD conflict";
  }
  // A token, not AK/SK: a signature's X-Sdk-Date an hour off would be refused.
  use_token_ = true;
  debounce_ = "3s";
  start_sim(nlohmann::json::array(
      {sim_group("g1", nlohmann::json::array({sim_domain("g1", kDomain, {3})}))}));
  // certbot --reuse-key: the renewal replaces only the certificate, with one rename, so all
  // the daemon sees of it is one event.
  const TestKey key = make_key(KeyKind::EcP256);
  const TestChain first = chain_with(key);
  const TestChain renewed = chain_with(key);
  const std::filesystem::path live = temp_dir_.path() / "live";
  const std::filesystem::path staging = temp_dir_.path() / "staging";
  std::filesystem::create_directories(live);
  std::filesystem::create_directories(staging);
  rewrite_in_place(live / "fullchain.pem", first.fullchain());
  rewrite_in_place(live / "privkey.pem", key.pem());
  add_file_binding("site", live / "fullchain.pem", live / "privkey.pem", kDomain);
  set_wall_offset("+0");
  start_daemon({{"LD_PRELOAD", libfaketime->string()},
                {"FAKETIME_TIMESTAMP_FILE", faketime_file().string()},
                {"FAKETIME_NO_CACHE", "1"},
                {"DONT_FAKE_MONOTONIC", "1"},
                {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}});
  wait_ready();
  ASSERT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(first.leaf)) << daemon_->stderr_text();

  rewrite_in_place(staging / "fullchain.pem", renewed.fullchain());
  std::filesystem::rename(staging / "fullchain.pem", live / "fullchain.pem");
  ASSERT_TRUE(daemon_->wait_for_stderr("files of binding 'site' changed", milliseconds(10'000)))
      << daemon_->stderr_text();
  set_wall_offset("-3600");  // within the 3 s debounce

  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf), milliseconds(30'000)))
      << "the renewal was not bound within 30 s of a debounce of 3 s\n"
      << daemon_->stderr_text() << describe_requests();
  // The daemon did act on the clock set back: it recorded the bind an hour ago.
  ASSERT_TRUE(daemon_->wait_for_stderr("pass (due) done", milliseconds(10'000)))
      << daemon_->stderr_text();
  const nlohmann::json state = nlohmann::json::parse(read_file(state_file()));
  ASSERT_EQ(state["targets"].size(), 1U) << state.dump(2);
  const Result<SystemTime> bound_at =
      parse_utc_iso8601(state["targets"].begin()->value("bound_at", ""));
  ASSERT_TRUE(bound_at) << state.dump(2);
  EXPECT_GT(std::chrono::system_clock::now() - *bound_at, std::chrono::minutes(50))
      << state.dump(2);
}

}  // namespace
}  // namespace apig_certd::testing::run_clock_test
