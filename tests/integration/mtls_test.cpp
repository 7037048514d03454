// mTLS domains (issue 18 §4, DESIGN.md §4 step 5): a domain that verifies client certificates
// keeps its CA only through a write that carries trusted_root_ca. `apig-certd sync` against
// apig-sim, whose domains switch client verification off when a write leaves a bound
// certificate without a CA; every test checks that the domain still verifies clients.

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::mtls_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

constexpr const char* kDomain = "www.example.com";
constexpr const char* kBoundId = "0123456789abcdef0123456789abcdef";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class MtlsTest : public SyncTest {
 protected:
  // A domain that verifies client certificates, serving certificate object `name` (an
  // instance object of this gateway, with a CA for client certificates).
  void start_mtls_domain(const std::string& name) {
    client_ca_pem_ = make_chain({.sans = {"clients.example.com"}}).root;
    const json certificates = json::array({{{"id", kBoundId},
                                            {"name", name},
                                            {"san", {kDomain}},
                                            {"not_after", "2026-01-01T00:00:00Z"},
                                            {"type", "instance"},
                                            {"instance_id", kSyncInstance},
                                            {"trusted_root_ca", client_ca_pem_}}});
    json www = sim_domain("g1", kDomain);
    www["certificate_id"] = kBoundId;
    www["verified_client_certificate_enabled"] = true;
    start_sim(json::array({sim_group("g1", json::array({www}))}), "replace", certificates);
    write_certificate("site", make_chain({.sans = {kDomain}, .not_after_offset = hours(24 * 90)},
                                         KeyKind::Rsa2048));
  }

  // Writes the CA bundle and names it as the target's client_ca.
  void configure_client_ca() {
    const std::filesystem::path path = temp_dir_.write("clients-ca.pem", client_ca_pem_);
    target_extra_[kDomain] = "  client_ca = \"" + path.string() + "\"\n";
  }

  void expect_client_verification_kept() {
    const json domain = sim_domain_state(kDomain);
    EXPECT_EQ(domain["verified_client_certificate_enabled"], true) << domain.dump();
    const json bound = sim_bound_certificate(kDomain);
    EXPECT_EQ(bound["trusted_root_ca"], client_ca_pem_) << bound.dump();
  }

  int writes() const {
    return count_requests("POST") + count_requests("PUT") + count_requests("DELETE");
  }

  std::string client_ca_pem_;
};

TEST_F(MtlsTest, WithoutClientCaNothingIsWrittenAndTheReasonNamesTheKey) {
  start_mtls_domain("site_20260101_00000000");
  add_binding("site", {{"g1", kDomain}});

  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_TRUE(contains(line_for(dry, kDomain), "set client_ca")) << dry.out;
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, kDomain);
  EXPECT_TRUE(contains(line, "verifies client certificates (mTLS)")) << line;
  EXPECT_TRUE(contains(line, "set client_ca = \"PATH\"")) << line;
  EXPECT_EQ(writes(), 0) << describe_requests();
  expect_client_verification_kept();
}

// `check --online` says it before a renewal finds out: FAIL without client_ca, OK with it.
TEST_F(MtlsTest, CheckOnlineNamesTheMissingClientCa) {
  start_mtls_domain("site_20260101_00000000");
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\n");
  const auto check = [&] {
    ProcessOptions options;
    options.environment = {{"APIG_CERTD_CONFIG", ""}, {"JOURNAL_STREAM", ""}};
    return run_process(
        {APIG_CERTD_BINARY, "check", "--online", "--config", write_config().string()}, options);
  };
  const ProcessResult without = check();
  EXPECT_EQ(without.exit_code, 1) << without.out << without.err;
  EXPECT_TRUE(contains(without.out + without.err, "verifies client certificates (mTLS)"))
      << without.out << without.err;
  EXPECT_TRUE(contains(without.out + without.err, "set client_ca")) << without.out;

  configure_client_ca();
  bindings_.clear();
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\n");
  const ProcessResult with = check();
  EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
  EXPECT_TRUE(contains(with.out + with.err, "client_ca is sent with every write"))
      << with.out << with.err;
  EXPECT_EQ(writes(), 0) << describe_requests();
}

TEST_F(MtlsTest, UpdateCarriesTheClientCaAndKeepsTheObjectsTypeAndInstance) {
  start_mtls_domain("site_20260101_00000000");  // ours by name: the state was lost
  configure_client_ca();
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\n");

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(line_for(result, kDomain), "updated in place")) << result.out;
  EXPECT_EQ(count_requests("GET", std::string("/certificates/") + kBoundId), 1)
      << describe_requests();
  EXPECT_EQ(count_requests("PUT", std::string("/certificates/") + kBoundId), 1)
      << describe_requests();
  EXPECT_EQ(count_requests("POST") + count_requests("DELETE"), 0) << describe_requests();
  const json bound = sim_bound_certificate(kDomain);
  EXPECT_EQ(bound["id"], kBoundId);
  EXPECT_EQ(bound["type"], "instance");
  expect_client_verification_kept();

  // In sync now: nothing more is written.
  clear_requests();
  EXPECT_EQ(sync().exit_code, 0);
  EXPECT_EQ(writes(), 0) << describe_requests();
}

TEST_F(MtlsTest, AForeignObjectOnAnMtlsDomainIsNotReplaced) {
  start_mtls_domain("console_mtls");
  configure_client_ca();
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\n");

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, kDomain);
  EXPECT_TRUE(contains(line, "'console_mtls' is not one")) << line;
  EXPECT_EQ(writes(), 0) << describe_requests();
  expect_client_verification_kept();
}

TEST_F(MtlsTest, AnUnreadableClientCaFailsBeforeAnyWrite) {
  start_mtls_domain("site_20260101_00000000");
  target_extra_[kDomain] =
      "  client_ca = \"" + (temp_dir_.path() / "missing.pem").string() + "\"\n";
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\n");

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(contains(line_for(result, kDomain), "missing.pem")) << result.out;
  EXPECT_EQ(writes(), 0) << describe_requests();
  expect_client_verification_kept();
}

}  // namespace
}  // namespace apig_certd::testing::mtls_test
