// `apig-certd run` with a warm bundle cache (engine/bundle_cache.h, issue 8): a daemon that
// starts on a state whose cached facts match the files observes them without parsing, still
// binds a renewal (new files, new identities: parsed), and repairs a domain whose remote
// drifted with the certificate and key the files hold (the cached binding is loaded for the
// write). The real binary against apig-sim.
//
// A pass only keeps the facts of files older than the racy window (sys::kRacyWindow, 2 s),
// and a test's files are new, so each test waits that long once before its first sync. The
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

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class RunBundleCacheTest : public RunTest {
 protected:
  // certbot's lineage version 1 of `chain`, the binding, and one sync that binds it and caches
  // the bundle's facts in the state.
  void bind_with_warm_state(const TestChain& chain) {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    certbot_renew("site", chain, 1);
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live/site";
    add_file_binding("site", live / "fullchain.pem", live / "privkey.pem", kDomain);
    std::this_thread::sleep_for(sys::kRacyWindow + milliseconds(200));
    const ProcessResult first = sync({"--no-wait"});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    const json state = json::parse(read_file(state_file()));
    ASSERT_TRUE(state.contains("bundles")) << state.dump(2);
    ASSERT_TRUE(state["bundles"].contains("site")) << state.dump(2);
    EXPECT_EQ(state["bundles"]["site"]["facts"].value("sha256", ""),
              sha256_fingerprint(chain.leaf));
    ASSERT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(chain.leaf));
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

TEST_F(RunBundleCacheTest, WarmStartParsesNothingAndStillBindsARenewal) {
  const TestChain first = renewal_chain({kDomain}, 60);
  bind_with_warm_state(first);
  clear_requests();
  start_daemon();
  wait_ready();
  // READY=1 follows the line, but the line reaches us through the stderr pipe's reader.
  EXPECT_TRUE(daemon_->wait_for_stderr("0 bundle(s) parsed, 1 from the bundle cache",
                                       std::chrono::milliseconds(5'000)))
      << daemon_->stderr_text();
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
  bind_with_warm_state(ours);
  bind_out_of_band("g1", kDomain, "console_cert", renewal_chain({kDomain}, 30));
  ASSERT_EQ(sim_bound_certificate(kDomain)["name"], "console_cert");
  clear_requests();
  start_daemon();
  wait_ready();
  EXPECT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(ours.leaf))
      << daemon_->stderr_text() << describe_requests();
  EXPECT_TRUE(daemon_->wait_for_stderr("repaired drift", std::chrono::milliseconds(5'000)));
  EXPECT_TRUE(daemon_->wait_for_stderr("from the bundle cache", std::chrono::milliseconds(5'000)));
  const std::string err = daemon_->stderr_text();
  // Observed from the cache, then loaded once for the write.
  EXPECT_TRUE(contains(err, "1 bundle(s) parsed, 1 from the bundle cache")) << err;
  EXPECT_TRUE(contains(err, "repaired drift")) << err;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  expect_no_refusal();
}

}  // namespace
}  // namespace apig_certd::testing::run_bundle_cache_test
