// `verify = true` (DESIGN.md §3): after the CNAME resolves, `apig-certd sync` connects to the
// domain over TLS (to verify_address, with SNI = the domain) and compares the served leaf's
// fingerprint with the bound one. Tested for real: apig-sim's TLS listener (--tls-port)
// serves, by SNI, whatever certificate and key are bound to the domain in the simulator, and
// its "tls_frozen" knob keeps serving an older one, as APIG does while it propagates.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"
#include "tests/support/closed_port.h"

namespace apig_certd::testing::verify_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

TestChain certificate(std::vector<std::string> domains, int days = 90) {
  return make_chain({.sans = std::move(domains), .not_after_offset = hours(24 * days)},
                    KeyKind::Rsa2048);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The 16-digit prefix the daemon prints for a fingerprint.
std::string prefix_of(const std::string& sha256) {
  return sha256.substr(0, 16) + "...";
}

class VerifyTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    sim_tls_listener_ = true;
    // A failed probe is retried until the pass deadline: keep it short.
    poll_timeout_ = "2s";
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  }

  // The target www.example.com with verify = true, probed at `address`.
  SyncTarget verified_target(const std::string& address) {
    target_extra_["www.example.com"] = "  verify = true\n  verify_address = \"" + address + "\"\n";
    return {"g1", "www.example.com"};
  }

  std::string sim_address() const { return "127.0.0.1:" + std::to_string(sim_->tls_port()); }

  // How many TLS handshakes the simulator's listener reported for www.example.com, waiting
  // up to 2 s for at least `at_least` (its stderr is read by a thread of the test).
  int handshakes(int at_least = 0) const {
    const std::string marker = "TLS handshake for 'www.example.com'";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (true) {
      const std::string text = sim_->stderr_text();
      int count = 0;
      for (std::size_t at = text.find(marker); at != std::string::npos;
           at = text.find(marker, at + 1)) {
        ++count;
      }
      if (count >= at_least || std::chrono::steady_clock::now() > deadline) {
        return count;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  json state_entry() const {
    const json state = json::parse(read_file(state_file()), nullptr, false);
    for (const json& entry : state.value("targets", json::object())) {
      if (entry.value("domain", "") == "www.example.com") {
        return entry;
      }
    }
    ADD_FAILURE() << "no state for www.example.com";
    return {};
  }
};

TEST_F(VerifyTest, TheBoundCertificateServedIsVerified) {
  ASSERT_NE(sim_->tls_port(), 0);
  const TestChain chain = certificate({"www.example.com"});
  write_certificate("site", chain);
  add_binding("site", {verified_target(sim_address())});

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  const std::string fingerprint = sha256_fingerprint(chain.leaf);
  EXPECT_EQ(line.rfind("bound: ", 0), 0U) << line;
  EXPECT_TRUE(
      contains(line, "CNAME resolved; verified: www.example.com serves " + prefix_of(fingerprint)))
      << line;
  EXPECT_EQ(handshakes(1), 1) << sim_->stderr_text();
  EXPECT_EQ(state_entry()["verified_sha256"], fingerprint);
  EXPECT_EQ(state_entry()["last_result"], "bound");

  // Verified once per bound certificate: the next pass neither binds nor probes.
  clear_requests();
  const ProcessResult second = sync();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(line_for(second, "www.example.com").rfind("in sync: ", 0), 0U) << second.out;
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
  EXPECT_EQ(handshakes(), 1) << sim_->stderr_text();
}

TEST_F(VerifyTest, AStaleServedCertificateFailsAndOnlyTheProbeIsRetried) {
  const TestChain first = certificate({"www.example.com"});
  write_certificate("site", first);
  add_binding("site", {verified_target(sim_address())});
  ASSERT_EQ(sync().exit_code, 0);

  // APIG keeps serving the first certificate while the renewal is bound.
  freeze_tls({"www.example.com"});
  const TestChain renewed = certificate({"www.example.com"}, 120);
  write_certificate("site", renewed);
  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  const std::string old_fingerprint = sha256_fingerprint(first.leaf);
  const std::string new_fingerprint = sha256_fingerprint(renewed.leaf);
  EXPECT_EQ(line.rfind("failed: binding 'site' -> www.example.com (group g1): www.example.com at " +
                           sim_address() + " serves certificate sha256 " +
                           prefix_of(old_fingerprint) + " but sha256 " +
                           prefix_of(new_fingerprint) + " was bound; APIG may still be propagating",
                       0),
            0U)
      << line;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();  // The renewal, once.
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"], new_fingerprint);
  json entry = state_entry();
  EXPECT_EQ(entry["last_result"], "failed");
  EXPECT_EQ(entry["last_error"]["code"], "verify_mismatch");
  EXPECT_EQ(entry["bound_sha256"], new_fingerprint);
  EXPECT_EQ(entry["verified_sha256"], old_fingerprint);
  EXPECT_FALSE(entry["next_attempt"].is_null());

  // Still stale: the next pass probes again and fails again, but never binds again.
  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_TRUE(contains(line_for(again, "www.example.com"), "was bound; APIG may still"))
      << again.out;
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();

  // Propagated: verified without a write.
  freeze_tls({});
  clear_requests();
  const ProcessResult healed = sync();
  EXPECT_EQ(healed.exit_code, 0) << healed.out << healed.err;
  const std::string healed_line = line_for(healed, "www.example.com");
  EXPECT_EQ(healed_line.rfind("in sync: ", 0), 0U) << healed_line;
  EXPECT_TRUE(
      contains(healed_line, "verified: www.example.com serves " + prefix_of(new_fingerprint)))
      << healed_line;
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
  entry = state_entry();
  EXPECT_EQ(entry["verified_sha256"], new_fingerprint);
  EXPECT_TRUE(entry["last_error"].is_null());
  EXPECT_EQ(entry.value("consecutive_failures", 0), 0);  // left out at its default
}

TEST_F(VerifyTest, NothingListeningIsAnExplainedFailure) {
  write_certificate("site", certificate({"www.example.com"}));
  const std::string address = "127.0.0.1:" + std::to_string(closed_port());
  add_binding("site", {verified_target(address)});

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(contains(line,
                       "failed: binding 'site' -> www.example.com (group g1): cannot "
                       "verify the served certificate: probing 'www.example.com' at " +
                           address + ": connect: Connection refused"))
      << line;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();  // The bind itself stands.
  EXPECT_EQ(state_entry()["last_error"]["code"], "verify_failed");
}

TEST_F(VerifyTest, AnUnknownNameFailsTheHandshake) {
  // The domain has nothing bound in the simulator when frozen, so its listener refuses it.
  freeze_tls({"www.example.com"});
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {verified_target(sim_address())});

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(contains(line,
                       "cannot verify the served certificate: probing 'www.example.com' "
                       "at " +
                           sim_address() + ": TLS handshake failed"))
      << line;
}

TEST_F(VerifyTest, WithoutVerifyNothingIsProbed) {
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_FALSE(contains(result.out, "verified")) << result.out;
  EXPECT_EQ(handshakes(), 0) << sim_->stderr_text();
  EXPECT_EQ(state_entry().value("verified_sha256", ""), "");  // left out when empty
}

}  // namespace
}  // namespace apig_certd::testing::verify_test
