// verify = true: when the probe runs, where it connects, and what its answer means
// (daemon/engine/verification.h). Pure functions, no sockets.

#include "daemon/engine/verification.h"

#include <gtest/gtest.h>

namespace apig_certd::engine::verification_test {
namespace {

using std::chrono::seconds;

constexpr std::string_view kBound =
    "5f1616cb3d0e6a1b0c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3";
constexpr std::string_view kServed =
    "3f9a01bc5e7d2c110c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3";

SystemTime at(int seconds_since_epoch) {
  return SystemTime(seconds(seconds_since_epoch));
}

// A target whose desired certificate is bound and whose CNAME resolved: the probe is due
// unless one of the fields below says otherwise.
ProbeDueInput due_input() {
  ProbeDueInput input;
  input.verify = true;
  input.serving = true;
  input.cname = apig::CnameStatus::Resolved;
  input.sha256 = kBound;
  input.now = at(1000);
  return input;
}

TEST(ProbeDue, RunsAfterTheCnameResolvesForANewTarget) {
  EXPECT_TRUE(probe_due(due_input()));
}

TEST(ProbeDue, NeverWithoutVerify) {
  ProbeDueInput input = due_input();
  input.verify = false;
  EXPECT_FALSE(probe_due(input));
  input.written = true;
  EXPECT_FALSE(probe_due(input));
}

TEST(ProbeDue, OnlyOnceTheCnameIsResolved) {
  for (const apig::CnameStatus status : {apig::CnameStatus::Unknown, apig::CnameStatus::NotResolved,
                                         apig::CnameStatus::Resolving, apig::CnameStatus::Failed}) {
    ProbeDueInput input = due_input();
    input.written = true;
    input.cname = status;
    EXPECT_FALSE(probe_due(input)) << static_cast<int>(status);
  }
}

TEST(ProbeDue, NotWhenTheDesiredCertificateIsNotBound) {
  ProbeDueInput input = due_input();
  input.serving = false;  // the bind failed, or the plan skipped the target
  EXPECT_FALSE(probe_due(input));
}

TEST(ProbeDue, NotAgainOnceTheBoundFingerprintWasSeenServed) {
  state::TargetState state;
  state.bound_sha256 = std::string(kBound);
  state.verified_sha256 = std::string(kBound);
  ProbeDueInput input = due_input();
  input.state = &state;
  EXPECT_FALSE(probe_due(input));
  input.mode = PlanMode::Daemon;
  EXPECT_FALSE(probe_due(input));
}

TEST(ProbeDue, AgainWhenANewCertificateWasBound) {
  state::TargetState state;
  state.verified_sha256 = std::string(kServed);  // the previous certificate
  ProbeDueInput input = due_input();
  input.state = &state;
  EXPECT_TRUE(probe_due(input));
  state.verified_sha256 = std::string(kBound);
  input.written = true;  // written again in this pass (--force): probe it again
  EXPECT_TRUE(probe_due(input));
}

TEST(ProbeDue, DaemonWaitsForNextAttemptAfterAFailedProbe) {
  state::TargetState state;
  state.last_result = state::TargetResult::Failed;
  state.next_attempt = at(1060);
  ProbeDueInput input = due_input();
  input.state = &state;
  input.mode = PlanMode::Daemon;
  EXPECT_FALSE(probe_due(input));
  input.now = at(1060);
  EXPECT_TRUE(probe_due(input));
}

TEST(ProbeDue, SyncProbesAtOnceDespiteNextAttempt) {
  state::TargetState state;
  state.last_result = state::TargetResult::Failed;
  state.next_attempt = at(1060);
  ProbeDueInput input = due_input();
  input.state = &state;
  input.mode = PlanMode::Sync;
  EXPECT_TRUE(probe_due(input));
}

TEST(ProbeRequest, ConnectsToTheDomainOn443ByDefault) {
  settings::TargetSettings target;
  target.domain = "www.example.com";
  target.verify = true;
  const probe::ProbeRequest request = probe_request(target, "www.example.com", seconds(7));
  EXPECT_EQ(request.server_name, "www.example.com");
  EXPECT_EQ(request.host, "www.example.com");
  EXPECT_EQ(request.port, 443);
  EXPECT_EQ(request.timeout, seconds(7));
}

TEST(ProbeRequest, VerifyAddressChangesWhereNotTheSni) {
  settings::TargetSettings target;
  target.domain_id = "d1";
  target.verify = true;
  target.verify_address = "[2001:db8::1]:8443";
  target.verify_host = "2001:db8::1";
  target.verify_port = 8443;
  // Only a domain_id is configured: the name APIG reported is the SNI.
  const probe::ProbeRequest request = probe_request(target, "api.example.com", seconds(30));
  EXPECT_EQ(request.server_name, "api.example.com");
  EXPECT_EQ(request.host, "2001:db8::1");
  EXPECT_EQ(request.port, 8443);
  EXPECT_EQ(probe::address_label(request.host, request.port), "[2001:db8::1]:8443");
  EXPECT_EQ(probe::address_label("127.0.0.1", 443), "127.0.0.1:443");
}

probe::ProbeRequest local_request() {
  probe::ProbeRequest request;
  request.server_name = "www.example.com";
  request.host = "127.0.0.1";
  request.port = 4443;
  return request;
}

TEST(JudgeProbe, TheBoundFingerprintServedIsVerified) {
  const ProbeVerdict verdict =
      judge_probe(local_request(), kBound, Result<std::string>(std::string(kBound)));
  EXPECT_TRUE(verdict.verified);
  EXPECT_FALSE(verdict.error);
  EXPECT_EQ(verdict.detail, "verified: www.example.com serves 5f1616cb3d0e6a1b...");
}

TEST(JudgeProbe, AnotherFingerprintIsAMismatchNamingBothAndTheAddress) {
  const ProbeVerdict verdict =
      judge_probe(local_request(), kBound, Result<std::string>(std::string(kServed)));
  EXPECT_FALSE(verdict.verified);
  ASSERT_TRUE(verdict.error);
  EXPECT_TRUE(is_retryable(verdict.error->code()));
  EXPECT_EQ(verdict.code, "verify_mismatch");
  EXPECT_EQ(verdict.detail.rfind("www.example.com at 127.0.0.1:4443 serves certificate sha256 "
                                 "3f9a01bc5e7d2c11... but sha256 5f1616cb3d0e6a1b... was bound; "
                                 "APIG may still be propagating",
                                 0),
            0U)
      << verdict.detail;
  EXPECT_NE(verdict.detail.find("not binding again"), std::string::npos);
}

TEST(JudgeProbe, AConnectionFailureKeepsItsReason) {
  const Error refused = Error(ErrorCode::Unavailable, "connect: Connection refused")
                            .with_context("probing 'www.example.com' at 127.0.0.1:4443");
  const ProbeVerdict verdict = judge_probe(local_request(), kBound, fail(refused));
  EXPECT_FALSE(verdict.verified);
  ASSERT_TRUE(verdict.error);
  EXPECT_EQ(verdict.code, "verify_failed");
  EXPECT_EQ(verdict.detail,
            "cannot verify the served certificate: probing 'www.example.com' at 127.0.0.1:4443: "
            "connect: Connection refused");
}

TEST(FingerprintPrefix, ShortensToSixteenDigits) {
  EXPECT_EQ(fingerprint_prefix(kBound), "5f1616cb3d0e6a1b...");
  EXPECT_EQ(fingerprint_prefix("abc"), "abc");
}

}  // namespace
}  // namespace apig_certd::engine::verification_test
