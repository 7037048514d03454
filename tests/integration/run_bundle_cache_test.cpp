// `apig-certd run` with the bundle cache (engine/bundle_cache.h, issue 8), which the daemon
// keeps in memory across its passes (not in state.json): a restarted daemon parses every
// bundle once, its later passes observe unchanged files without parsing, still bind a renewal
// (new files, new identities: parsed), and repair a domain whose remote drifted with the
// certificate and key the files hold (the cached binding is loaded for the write). The real
// binary against apig-sim, rescanning every second.
//
// A pass only keeps the facts of files older than the racy window (sys::kRacyWindow, 2 s),
// and a test's files are new, so each test waits that long once before the daemon starts. The
// daemon's debug line "pass (...) done ...: N bundle(s) parsed, M from the bundle cache" shows
// which path a pass took.

#include <chrono>
#include <thread>

#include "daemon/sys/file_identity.h"
#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::run_bundle_cache_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";

class RunBundleCacheTest : public RunTest {
 protected:
  // certbot's lineage version 1 of `chain`, the binding, and one sync that binds it; then the
  // daemon, whose first pass parses the bundle and whose next one (a rescan) takes it from
  // its cache.
  void bind_and_start_warm(const TestChain& chain) {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    certbot_renew("site", chain, 1);
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live/site";
    add_file_binding("site", live / "fullchain.pem", live / "privkey.pem", kDomain);
    const ProcessResult first = sync({"--no-wait"});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    ASSERT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(chain.leaf));
    std::this_thread::sleep_for(sys::kRacyWindow + milliseconds(200));
    clear_requests();
    rescan_ = "1s";
    start_daemon();
    wait_ready();
    EXPECT_TRUE(daemon_->wait_for_stderr("1 bundle(s) parsed, 0 from the bundle cache",
                                         std::chrono::milliseconds(5'000)))
        << daemon_->stderr_text();
    ASSERT_TRUE(daemon_->wait_for_stderr("0 bundle(s) parsed, 1 from the bundle cache",
                                         std::chrono::milliseconds(10'000)))
        << daemon_->stderr_text();
    EXPECT_FALSE(json::parse(read_file(state_file())).contains("bundles"))
        << read_file(state_file());
  }

  // Every request the simulator logged succeeded (a mismatched pair would be refused).
  void expect_no_refusal() const {
    for (const LoggedRequest& request : requests()) {
      const bool already_gone = request.method == "DELETE" && request.status == 404;
      EXPECT_TRUE((request.status >= 200 && request.status < 300) || already_gone)
          << describe_requests();
    }
  }
};

TEST_F(RunBundleCacheTest, LaterPassesParseNothingAndStillBindARenewal) {
  const TestChain first = renewal_chain({kDomain}, 60);
  ASSERT_NO_FATAL_FAILURE(bind_and_start_warm(first));
  EXPECT_EQ(count_requests("POST") + count_requests("PUT"), 0) << describe_requests();

  clear_requests();
  const TestChain renewed = renewal_chain({kDomain}, 70);
  certbot_renew("site", renewed, 2);
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf)))
      << daemon_->stderr_text() << describe_requests();
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  expect_no_refusal();
}

TEST_F(RunBundleCacheTest, DriftOfACachedBindingIsRepairedWithTheFilesCertificate) {
  const TestChain ours = renewal_chain({kDomain}, 60);
  ASSERT_NO_FATAL_FAILURE(bind_and_start_warm(ours));
  clear_requests();
  bind_out_of_band("g1", kDomain, "console_cert", renewal_chain({kDomain}, 30));
  // Observed from the cache, then loaded once for the write.
  EXPECT_TRUE(daemon_->wait_for_stderr("1 bundle(s) parsed, 1 from the bundle cache",
                                       std::chrono::milliseconds(10'000)))
      << daemon_->stderr_text();
  EXPECT_TRUE(daemon_->wait_for_stderr("repaired drift", std::chrono::milliseconds(5'000)))
      << daemon_->stderr_text();
  EXPECT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(ours.leaf))
      << daemon_->stderr_text() << describe_requests();
  EXPECT_EQ(count_requests("POST"), 2) << "the drift and its repair\n" << describe_requests();
  expect_no_refusal();
}

}  // namespace
}  // namespace apig_certd::testing::run_bundle_cache_test
