// `verify = true` under `apig-certd run`: the probe follows the daemon's own schedule. The
// bind's CNAME resolves on a later poll pass, which probes; a failed probe is retried at the
// target's next_attempt, and never by binding again.

#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::run_verify_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";

class RunVerifyTest : public RunTest {};

TEST_F(RunVerifyTest, AFailedProbeIsRetriedOnTheScheduleWithoutBindingAgain) {
  sim_tls_listener_ = true;
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {2, 3})}))}));
  // Nothing is bound yet, so the frozen domain has nothing to serve: the handshake fails.
  freeze_tls({kDomain});
  const TestChain chain = make_chain({.sans = {kDomain}}, KeyKind::Rsa2048);
  write_certificate("site", chain);
  target_extra_[kDomain] =
      "  verify = true\n  verify_address = \"127.0.0.1:" + std::to_string(sim_->tls_port()) +
      "\"\n";
  add_binding("site", {{"g1", kDomain}});
  start_daemon();
  wait_ready();

  ASSERT_TRUE(daemon_->wait_for_stderr(
      "cannot verify the served certificate: probing '" + std::string(kDomain) + "'",
      milliseconds(20'000)))
      << daemon_->stderr_text();
  // APIG has propagated: the retry on the backoff schedule verifies.
  freeze_tls({});
  ASSERT_TRUE(daemon_->wait_for_stderr("verified: " + std::string(kDomain) + " serves " +
                                           sha256_fingerprint(chain.leaf).substr(0, 16) + "...",
                                       milliseconds(20'000)))
      << daemon_->stderr_text();
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests() << daemon_->stderr_text();
}

}  // namespace
}  // namespace apig_certd::testing::run_verify_test
