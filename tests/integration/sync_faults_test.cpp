// `apig-certd sync` when things go wrong (DESIGN.md §4 steps 2, 5 and 6): invalid bundles
// never reach APIG; a CNAME that fails or never resolves is a failure; APIG's permanent errors
// are reported with their hint and not retried; transient errors (5xx, throttling, resets,
// timeouts) are retried until they pass, and a write whose outcome was unknown is written once.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::sync_faults_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SyncFaultsTest : public SyncTest {
 protected:
  // One domain, www.example.com in group g1, and a valid RSA certificate for it on disk.
  void SetUp() override {
    SyncTest::SetUp();
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
    write_certificate("site", chain_);
    add_binding("site", {{"g1", "www.example.com"}});
  }

  // The simulator ends with exactly one certificate object, ours, bound to the domain.
  void expect_bound_once() const {
    const json certificates = sim_certificates();
    EXPECT_EQ(certificates.size(), 1U) << certificates.dump(2);
    EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
              sha256_fingerprint(chain_.leaf));
  }

  TestChain chain_ = make_chain({.sans = {"www.example.com"}}, KeyKind::Rsa2048);
};

// ---------------------------------------------------------------------------------------
// Invalid bundles: caught on disk, with the code APIG would have answered.

TEST_F(SyncTest, InvalidBundlesNeverReachApig) {
  const std::vector<std::string> names{"mismatch", "expired", "uncovered", "chainorder",
                                       "encrypted"};
  json domains = json::array();
  for (const std::string& name : names) {
    domains.push_back(sim_domain("g1", name + ".example.com"));
  }
  start_sim(json::array({sim_group("g1", domains)}));
  const auto chain_for = [](const std::string& name) {
    return make_chain({.sans = {name + ".example.com"}}, KeyKind::Rsa2048);
  };
  const TestChain mismatch = chain_for("mismatch");
  write_lineage(temp_dir_, "mismatch", mismatch.fullchain(), make_key(KeyKind::EcP256).pem());
  const TestChain expired = make_chain({.sans = {"expired.example.com"},
                                        .not_before_offset = -hours(24 * 100),
                                        .not_after_offset = -hours(24)},
                                       KeyKind::Rsa2048);
  write_certificate("expired", expired);
  write_certificate("uncovered", chain_for("elsewhere"));
  const TestChain order = chain_for("chainorder");
  write_lineage(temp_dir_, "chainorder", order.intermediate + order.leaf, order.key.pem());
  const TestChain encrypted = chain_for("encrypted");
  write_lineage(temp_dir_, "encrypted", encrypted.fullchain(),
                encrypted.key.pem(KeyFormat::EncryptedPkcs8));
  for (const std::string& name : names) {
    add_binding(name, {{"g1", name + ".example.com"}});
  }

  struct Expected {
    std::string name;
    std::string code;
    std::string words;
  };
  const std::vector<Expected> cases{
      {"mismatch", "APIG.2101", "key"},
      {"expired", "APIG.2102", "expired"},
      {"uncovered", "APIG.2103", "uncovered.example.com"},
      {"chainorder", "APIG.2104", "order"},
      {"encrypted", "APIG.2105", "encrypted"},
  };
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(lines_of(result.out).size(), cases.size()) << result.out;
  for (const Expected& expected : cases) {
    const std::string line = line_for(result, expected.name + ".example.com");
    EXPECT_TRUE(line.starts_with("failed: binding '" + expected.name + "'")) << line;
    EXPECT_TRUE(contains(line, expected.code)) << expected.code << " in " << line;
    EXPECT_TRUE(contains(line, expected.words)) << expected.words << " in " << line;
  }
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();
  EXPECT_TRUE(sim_certificates().empty());
}

// ---------------------------------------------------------------------------------------
// CNAME outcomes: failed (4) and never resolved are failures; --no-wait does not look.

class SyncCnameTest : public SyncTest {
 protected:
  // www.example.com in group g1, whose CNAME status walks `sequence` after a bind.
  void start(std::vector<int> sequence) {
    start_sim(json::array({sim_group(
        "g1", json::array({sim_domain("g1", "www.example.com", std::move(sequence))}))}));
    write_certificate("site", make_chain({.sans = {"www.example.com"}}, KeyKind::Rsa2048));
    add_binding("site", {{"g1", "www.example.com"}});
  }

  // require_resolved = false on a domain whose status stays at `status`.
  void expect_ok_without_resolving(int status) {
    target_extra_["www.example.com"] = "  require_resolved = false\n";
    start({status});
    poll_timeout_ = "30s";
    const auto started = std::chrono::steady_clock::now();
    const ProcessResult result = sync();
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10))
        << "waited for a status it was told not to require";
    const std::string line = line_for(result, "www.example.com");
    EXPECT_TRUE(line.starts_with("bound: ")) << line;
    EXPECT_TRUE(contains(line, "CNAME status " + std::to_string(status) +
                                   " (not required: require_resolved = false)"))
        << line;
    EXPECT_TRUE(contains(line, "an A record")) << line;
    // The bind, and the read that confirmed it.
    EXPECT_EQ(count_requests("POST"), 1);
    EXPECT_GE(count_requests("GET", "/api-groups/g1"), 2) << describe_requests();
    const ProcessResult again = sync();
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(count_requests("POST"), 1) << "in sync afterwards";
  }
};

// A dedicated gateway's domain takes effect with an A record; whether its CNAME status ever
// reaches 3 is not documented. Status 1 that stays is "bound, not resolving to the gateway
// yet", with both DNS forms named; require_resolved = false makes the target OK once a read
// confirms the bind.
TEST_F(SyncCnameTest, ADomainStuckAtStatusOneIsBoundButDoesNotResolveYet) {
  start({1});
  poll_timeout_ = "1500ms";
  const ProcessResult result = sync();
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("resolving: ")) << line;
  EXPECT_TRUE(contains(line, "the domain does not resolve to the gateway yet")) << line;
  EXPECT_TRUE(contains(line, "a CNAME record to the group's subdomain 'g1.apic.sim.example'"))
      << line;
  EXPECT_TRUE(contains(line, "an A record to the instance's ingress address")) << line;
  EXPECT_EQ(count_requests("POST"), 1);
}

TEST_F(SyncCnameTest, WithRequireResolvedFalseStatusOneIsOkOnceAReadConfirmsTheBind) {
  expect_ok_without_resolving(1);
}

TEST_F(SyncCnameTest, WithRequireResolvedFalseStatusFourIsShownButNotAFailure) {
  expect_ok_without_resolving(4);
}

TEST_F(SyncCnameTest, CnameFailureIsReportedWithTheGroupSubdomain) {
  start({2, 4});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("failed: ")) << line;
  EXPECT_TRUE(contains(line, "CNAME")) << line;
  EXPECT_TRUE(contains(line, "g1.apic.sim.example")) << line;
  EXPECT_EQ(count_requests("POST"), 1);
}

TEST_F(SyncCnameTest, CnameThatNeverResolvesGivesUpAtPollTimeout) {
  start({2});
  poll_timeout_ = "1500ms";
  const auto started = std::chrono::steady_clock::now();
  const ProcessResult result = sync();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("resolving: ")) << line;
  EXPECT_TRUE(contains(line, "still resolving")) << line;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_EQ(count_requests("POST"), 1);
}

TEST_F(SyncCnameTest, NoWaitExitsRightAfterTheBind) {
  start({2});
  const ProcessResult result = sync({"--no-wait"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("bound: ")) << line;
  EXPECT_TRUE(contains(line, "--no-wait")) << line;
  const std::vector<LoggedRequest> logged = requests();
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back().method, "POST") << describe_requests();  // No poll after the bind.
}

// ---------------------------------------------------------------------------------------
// APIG's permanent errors: one POST, the code, APIG's message and our hint.

struct PermanentError {
  const char* name;
  int status;
  const char* code;
  const char* message;
  const char* hint;  // from daemon/apig/api_error.cpp
};

// Named in test output and CTest entries by its case name, not its bytes.
void PrintTo(const PermanentError& error, std::ostream* stream) {
  *stream << error.name;
}

class PermanentApigError : public SyncFaultsTest,
                           public ::testing::WithParamInterface<PermanentError> {};

TEST_P(PermanentApigError, IsReportedWithItsHintAndNotRetried) {
  const PermanentError& error = GetParam();
  add_fault({{"method", "POST"},
             {"path_regex", "/certificate$"},
             {"status", error.status},
             {"body", json{{"error_code", error.code}, {"error_msg", error.message}}.dump()}});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("failed: ")) << line;
  EXPECT_TRUE(contains(line, error.code)) << line;
  EXPECT_TRUE(contains(line, error.message)) << line;
  EXPECT_TRUE(contains(line, error.hint)) << line;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  EXPECT_TRUE(sim_certificates().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Codes, PermanentApigError,
    ::testing::Values(PermanentError{"BadName", 400, "APIG.2012",
                                     "Invalid parameter value,parameterName:name",
                                     "check cert_name"},
                      PermanentError{"DomainNotCovered", 400, "APIG.2103",
                                     "The certificate does not match the domain name",
                                     "add the domain to the certificate's SANs"},
                      PermanentError{"NoPermission", 403, "APIG.1005",
                                     "No permissions to request this method",
                                     "grant the IAM user APIG certificate and domain permissions"}),
    [](const ::testing::TestParamInfo<PermanentError>& param_info) {
      return std::string(param_info.param.name);
    });

// ---------------------------------------------------------------------------------------
// Transient errors: retried with backoff until the fault runs out.

struct TransientError {
  const char* name;
  json fault;
  bool unknown_outcome;  // the POST may have been applied: a re-read comes before the retry
};

void PrintTo(const TransientError& error, std::ostream* stream) {
  *stream << error.name;
}

class TransientApigError : public SyncFaultsTest,
                           public ::testing::WithParamInterface<TransientError> {};

TEST_P(TransientApigError, IsRetriedAndTheCertificateIsBoundOnce) {
  json fault = GetParam().fault;
  fault["method"] = "POST";
  add_fault(fault);
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err << describe_requests();
  EXPECT_TRUE(line_for(result, "www.example.com").starts_with("bound: ")) << result.out;
  expect_bound_once();

  // The log: the faulted POST, then (for an unknown outcome) a re-read of the group, then
  // the POST that worked. (After a reset, libcurl may itself resend on a reused connection,
  // which skips the re-read; both are fine.)
  std::vector<LoggedRequest> posts;
  bool reread = false;
  for (const LoggedRequest& request : requests()) {
    if (request.method == "POST") {
      posts.push_back(request);
    } else if (posts.size() == 1 && request.method == "GET") {
      reread = true;
    }
  }
  ASSERT_EQ(posts.size(), 2U) << describe_requests();
  EXPECT_EQ(posts[1].status, 201);
  if (GetParam().unknown_outcome && GetParam().fault.value("action", "") != "reset") {
    EXPECT_TRUE(reread) << describe_requests();
  }
  if (!GetParam().unknown_outcome) {
    EXPECT_FALSE(reread) << describe_requests();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, TransientApigError,
    ::testing::Values(
        TransientError{"InternalError", {{"status", 500}}, true},
        TransientError{"Throttled500",
                       {{"status", 500},
                        {"body", R"({"error_code":"APIG.9008","error_msg":"Too many requests"})"}},
                       true},
        TransientError{"TooManyRequests", {{"status", 429}}, false},
        TransientError{"ConnectionReset", {{"action", "reset"}}, true}),
    [](const ::testing::TestParamInfo<TransientError>& param_info) {
      return std::string(param_info.param.name);
    });

TEST_F(SyncFaultsTest, TimedOutBindThatLandedIsNotWrittenAgain) {
  // The POST outlives [apig] timeout = "1500ms" but the simulator still applies it, as APIG
  // might. The reads of the group are slowed down so the re-read after the timeout happens
  // after the late POST was applied: it must see our certificate and not post again.
  // Times from the POST's arrival: it times out at 1.5 s and lands at 1.8 s; the re-read
  // arrives after 1.5 s and is answered at least 1.1 s later, 0.4 s before its own timeout.
  apig_timeout_ = "1500ms";
  poll_timeout_ = "10s";
  add_fault({{"method", "POST"}, {"delay_ms", 1800}});
  add_fault(
      {{"method", "GET"}, {"path_regex", "/api-groups/g1$"}, {"delay_ms", 1100}, {"count", 2}});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err << describe_requests();
  EXPECT_TRUE(line_for(result, "www.example.com").starts_with("bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  expect_bound_once();
}

TEST_F(SyncFaultsTest, RefusedRetryOfABindThatLandedLateIsASuccess) {
  // APIG refuses a second certificate on a domain (APIG.2051). The first POST times out but
  // lands late; the re-read after the timeout fails (500, answered after the late POST
  // landed), so the retry POST meets our own certificate and is refused. That refusal means
  // the first write worked: the target is bound, once. (The POST lands at 1.2 s; the failed
  // re-read is answered, or times out, at 1.9 s or later.)
  set_second_bind("refuse");
  apig_timeout_ = "1s";
  poll_timeout_ = "10s";
  add_fault({{"method", "POST"}, {"delay_ms", 1200}});
  add_fault({{"method", "GET"}, {"path_regex", "/api-groups/g1$"}, {"delay_ms", 1}});  // observe
  add_fault({{"method", "GET"},
             {"path_regex", "/api-groups/g1$"},
             {"status", 500},
             {"delay_ms", 900}});  // the re-read
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err << describe_requests();
  EXPECT_TRUE(line_for(result, "www.example.com").starts_with("bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 2) << describe_requests();
  expect_bound_once();
}

TEST_F(SyncFaultsTest, TimedOutBindIsRetriedUntilItWorks) {
  // The hung POST never lands (the simulator resets it); the retry binds.
  apig_timeout_ = "1s";
  add_fault({{"method", "POST"}, {"action", "hang"}, {"delay_ms", 2000}});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err << describe_requests();
  EXPECT_TRUE(line_for(result, "www.example.com").starts_with("bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 2) << describe_requests();
  expect_bound_once();
}

TEST_F(SyncFaultsTest, TransientErrorsUntilTheDeadlineFail) {
  poll_timeout_ = "2s";
  add_fault({{"method", "POST"}, {"status", 503}, {"count", -1}});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(line.starts_with("failed: ")) << line;
  EXPECT_TRUE(contains(line, "503")) << line;
  EXPECT_GE(count_requests("POST"), 2) << describe_requests();
  EXPECT_TRUE(sim_certificates().empty());
}

}  // namespace
}  // namespace apig_certd::testing::sync_faults_test
