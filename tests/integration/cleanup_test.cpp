// The cleanup of superseded certificates (issue 9 part 1): the real `apig-certd sync` against
// apig-sim in its "unbind" second-bind mode, where a renewal leaves the previous certificate
// object behind, unbound, as on APIG. Renewals delete what is superseded beyond
// keep_previous; --dry-run only tells; an unconfirmed bind deletes nothing; a refused delete is
// reported once and held until the rescan interval; a certificate apig-certd did not both
// name and record is never deleted; the APIG.2051 and "update" paths leave nothing behind.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::cleanup_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

constexpr const char* kDomain = "www.example.com";
constexpr const char* kStateKey = "site/i1/g1/www.example.com";

TestChain renewal(int days) {
  return make_chain({.sans = {kDomain}, .not_after_offset = hours(24 * days)}, KeyKind::Rsa2048);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CleanupTest : public SyncTest {
 protected:
  // Group g1 with www.example.com (CNAME resolves after one poll) and other.example.com.
  void start(const std::string& second_bind = "unbind", std::vector<int> cname = {2, 3}) {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, std::move(cname)),
                                                        sim_domain("g1", "other.example.com")}))}),
              second_bind);
  }

  // Writes the next certificate (valid `days` more days) and syncs it.
  ProcessResult renew(int days, const std::vector<std::string>& arguments = {}) {
    const TestChain chain = renewal(days);
    fingerprints_.push_back(sha256_fingerprint(chain.leaf));
    write_certificate("site", chain);
    return sync(arguments);
  }

  // The fingerprints of the simulator's certificate objects that are one of our renewals.
  std::vector<std::string> our_objects() const {
    std::vector<std::string> found;
    for (const json& certificate : sim_certificates()) {
      const std::string fingerprint = certificate["fingerprint"];
      if (std::find(fingerprints_.begin(), fingerprints_.end(), fingerprint) !=
          fingerprints_.end()) {
        found.push_back(fingerprint);
      }
    }
    std::sort(found.begin(), found.end());
    return found;
  }

  // The fingerprints of renewals number `indexes` (0 = the first), sorted like our_objects().
  std::vector<std::string> renewals(const std::vector<std::size_t>& indexes) const {
    std::vector<std::string> selected;
    for (const std::size_t index : indexes) {
      selected.push_back(fingerprints_.at(index));
    }
    std::sort(selected.begin(), selected.end());
    return selected;
  }

  bool object_exists(const std::string& id) const {
    for (const json& certificate : sim_certificates()) {
      if (certificate["id"] == id) {
        return true;
      }
    }
    return false;
  }

  json read_state() const {
    return json::parse(read_file(state_file()), nullptr, false)["targets"][kStateKey];
  }

  void write_state_target(const json& target) const {
    json state = json::parse(read_file(state_file()));
    state["targets"][kStateKey] = target;
    std::ofstream(state_file()) << state.dump(2);
  }

  int deletes_of_objects() const { return count_requests("DELETE", "/apigw/certificates/"); }

  std::vector<std::string> fingerprints_;
};

TEST_F(CleanupTest, RenewalsDeleteSupersededCertificatesKeepingTheNewest) {
  start();
  add_binding("site", {{"g1", kDomain}});
  for (int days = 60; days <= 70; days += 10) {
    const ProcessResult result = renew(days);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  // keep_previous = 1 (the default): the first one is kept for a rollback.
  EXPECT_EQ(our_objects(), renewals({0, 1}));
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();

  clear_requests();
  const ProcessResult third = renew(80);
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  const std::string line = line_for(third, kDomain);
  EXPECT_TRUE(contains(line, "bound: ")) << line;
  EXPECT_TRUE(contains(line, "deleted superseded 'site_")) << line;
  EXPECT_EQ(our_objects(), renewals({1, 2}));
  EXPECT_EQ(deletes_of_objects(), 1) << describe_requests();
  EXPECT_TRUE(contains(third.err, "2 writes")) << third.err;  // the POST and the DELETE
  EXPECT_EQ(sim_bound_certificate(kDomain)["fingerprint"], fingerprints_.back());

  const ProcessResult fourth = renew(90);
  ASSERT_EQ(fourth.exit_code, 0) << fourth.out << fourth.err;
  EXPECT_EQ(our_objects(), renewals({2, 3}));
  // The state remembers exactly the objects that still exist.
  const json created = read_state()["created"];
  ASSERT_EQ(created.size(), 2U) << created.dump(2);
  for (const json& entry : created) {
    EXPECT_TRUE(object_exists(entry["ssl_id"])) << entry.dump();
  }

  // In sync: cleanup has nothing left to do and the pass only reads.
  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_requests("GET"), static_cast<int>(requests().size())) << describe_requests();
}

class KeepPrevious : public CleanupTest, public ::testing::WithParamInterface<int> {};

TEST_P(KeepPrevious, KeepsThatManySupersededOnes) {
  start();
  add_binding("site", {{"g1", kDomain}}, "keep_previous = " + std::to_string(GetParam()) + "\n");
  for (int days = 50; days <= 90; days += 10) {
    const ProcessResult result = renew(days);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  std::vector<std::size_t> kept;
  for (int i = 4 - GetParam(); i <= 4; ++i) {
    kept.push_back(static_cast<std::size_t>(i));
  }
  EXPECT_EQ(our_objects(), renewals(kept));
  EXPECT_EQ(read_state()["created"].size(), kept.size());
}

INSTANTIATE_TEST_SUITE_P(Sync, KeepPrevious, ::testing::Values(0, 2));

TEST_F(CleanupTest, CleanupFalseDeletesNothing) {
  start();
  add_binding("site", {{"g1", kDomain}}, "cleanup = false\nkeep_previous = 0\n");
  for (int days = 60; days <= 80; days += 10) {
    ASSERT_EQ(renew(days).exit_code, 0);
  }
  EXPECT_EQ(our_objects(), renewals({0, 1, 2}));
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();
}

TEST_F(CleanupTest, DryRunShowsWhatWouldBeDeletedAndDeletesNothing) {
  start();
  add_binding("site", {{"g1", kDomain}}, "cleanup = false\n");
  for (int days = 60; days <= 80; days += 10) {
    ASSERT_EQ(renew(days).exit_code, 0);
  }
  bindings_.clear();
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 1\n");
  const std::string state_before = read_file(state_file());

  clear_requests();
  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  const std::string line = line_for(dry, kDomain);
  EXPECT_TRUE(contains(line, "in sync: ")) << line;
  EXPECT_TRUE(contains(line, "would delete superseded 'site_")) << line;
  EXPECT_EQ(count_requests("GET"), static_cast<int>(requests().size())) << describe_requests();
  EXPECT_EQ(our_objects(), renewals({0, 1, 2}));
  EXPECT_EQ(read_file(state_file()), state_before);

  // Before a bind, the preview counts the certificate bound now as superseded too.
  const TestChain next = renewal(90);
  write_certificate("site", next);
  const ProcessResult before_bind = sync({"--dry-run"});
  const std::string bind_line = line_for(before_bind, kDomain);
  EXPECT_TRUE(contains(bind_line, "would bind: ")) << bind_line;
  EXPECT_TRUE(contains(bind_line, "once the bind is confirmed")) << bind_line;
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();

  // The real run does what the preview said.
  fingerprints_.push_back(sha256_fingerprint(next.leaf));
  const ProcessResult real = sync();
  EXPECT_EQ(real.exit_code, 0) << real.out << real.err;
  EXPECT_EQ(our_objects(), renewals({2, 3}));
}

TEST_F(CleanupTest, NoWaitCleansUpOnceBound) {
  start("unbind", {2});  // The CNAME never resolves.
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60, {"--no-wait"}).exit_code, 0);
  const ProcessResult result = renew(70, {"--no-wait"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(line_for(result, kDomain), "deleted superseded")) << result.out;
  EXPECT_EQ(our_objects(), renewals({1}));
}

TEST_F(CleanupTest, AnUnconfirmedBindDeletesNothing) {
  poll_timeout_ = "1s";
  start("unbind", {2});  // Still resolving when the pass gives up.
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60, {"--no-wait"}).exit_code, 0);
  const ProcessResult result = renew(70);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(our_objects(), renewals({0, 1}));
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();
}

TEST_F(CleanupTest, ARefusedDeleteIsReportedOnceAndNotRetriedInALoop) {
  start();
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60).exit_code, 0);
  add_fault({{"method", "DELETE"},
             {"path_regex", "/apigw/certificates/"},
             {"count", -1},
             {"status", 400},
             {"body", R"({"error_code":"APIG.3470","error_msg":"The certificate is bound"})"}});

  clear_requests();
  const ProcessResult refused = renew(70);
  EXPECT_EQ(refused.exit_code, 0) << refused.out << refused.err;  // The rotation succeeded.
  EXPECT_TRUE(contains(line_for(refused, kDomain), "bound: ")) << refused.out;
  EXPECT_TRUE(contains(refused.err, "cannot delete the superseded certificate 'site_"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "APIG.3470")) << refused.err;
  EXPECT_EQ(deletes_of_objects(), 1) << describe_requests();
  EXPECT_EQ(sim_bound_certificate(kDomain)["fingerprint"], fingerprints_.back());
  json target = read_state();
  ASSERT_EQ(target["created"].size(), 2U) << target.dump(2);
  EXPECT_TRUE(target["created"][0]["delete_failed_at"].is_string()) << target.dump(2);
  EXPECT_TRUE(contains(target["created"][0]["delete_error"].get<std::string>(), "APIG.3470"));
  EXPECT_EQ(target["last_result"], "bound");

  // The next passes neither ask again nor warn again.
  clear_requests();
  for (int pass = 0; pass < 2; ++pass) {
    const ProcessResult again = sync();
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_FALSE(contains(again.err, "cannot delete")) << again.err;
  }
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();

  // Once the rescan interval has passed it is tried once more, and now APIG agrees.
  clear_faults();
  target = read_state();
  target["created"][0]["delete_failed_at"] = "2000-01-01T00:00:00Z";
  write_state_target(target);
  const ProcessResult later = sync();
  EXPECT_EQ(later.exit_code, 0) << later.out << later.err;
  EXPECT_TRUE(contains(line_for(later, kDomain), "deleted superseded")) << later.out;
  EXPECT_EQ(our_objects(), renewals({1}));
  EXPECT_EQ(read_state()["created"].size(), 1U);
}

TEST_F(CleanupTest, CertificatesApigCertdDidNotBothNameAndRecordSurvive) {
  start();
  // Two objects made behind apig-certd's back on another domain, left unbound: one carries a
  // name of apig-certd's shape for this binding but is not in the state, the other is put into
  // the state's list by hand but has a foreign name.
  bind_out_of_band("g1", "other.example.com", "site_20270101_0123abcd",
                   make_chain({.sans = {"other.example.com"}}, KeyKind::Rsa2048));
  bind_out_of_band("g1", "other.example.com", "console_cert",
                   make_chain({.sans = {"other.example.com"}}, KeyKind::Rsa2048));
  bind_out_of_band("g1", "other.example.com", "console_cert_2",
                   make_chain({.sans = {"other.example.com"}}, KeyKind::Rsa2048));
  std::string lookalike_id;
  std::string foreign_id;
  for (const json& certificate : sim_certificates()) {
    if (certificate["name"] == "site_20270101_0123abcd") {
      lookalike_id = certificate["id"];
    } else if (certificate["name"] == "console_cert") {
      foreign_id = certificate["id"];
    }
  }
  ASSERT_FALSE(lookalike_id.empty());
  ASSERT_FALSE(foreign_id.empty());

  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60).exit_code, 0);
  json target = read_state();
  target["created"].insert(target["created"].begin(), json{{"ssl_id", foreign_id},
                                                           {"name", "console_cert"},
                                                           {"sha256", ""},
                                                           {"created_at", "2020-01-01T00:00:00Z"}});
  write_state_target(target);

  clear_requests();
  for (int days = 70; days <= 80; days += 10) {
    const ProcessResult result = renew(days);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  EXPECT_EQ(our_objects(), renewals({2}));  // ours: only the one bound now
  EXPECT_TRUE(object_exists(lookalike_id));
  EXPECT_TRUE(object_exists(foreign_id));
  EXPECT_EQ(count_requests("DELETE", lookalike_id), 0) << describe_requests();
  EXPECT_EQ(count_requests("DELETE", foreign_id), 0) << describe_requests();
  EXPECT_EQ(deletes_of_objects(), 2) << describe_requests();
  // The foreign entry stays recorded: never deleted, never forgotten.
  const json created = read_state()["created"];
  ASSERT_EQ(created.size(), 2U) << created.dump(2);
  EXPECT_EQ(created[0]["ssl_id"], foreign_id);
}

TEST_F(CleanupTest, AnObjectAlreadyGoneLeavesTheState) {
  start("replace");  // This APIG deletes the old object itself on a second bind.
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60).exit_code, 0);
  const ProcessResult result = renew(70);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(line_for(result, kDomain), "(already gone)")) << result.out;
  EXPECT_FALSE(contains(result.err, "cannot delete")) << result.err;
  EXPECT_EQ(read_state()["created"].size(), 1U);
}

TEST_F(CleanupTest, ARefusedSecondBindDeletesTheOldOneAndForgetsIt) {
  start("refuse");  // APIG.2051: the old binding is deleted with its certificate (§2.5).
  add_binding("site", {{"g1", kDomain}}, "keep_previous = 0\n");
  ASSERT_EQ(renew(60).exit_code, 0);
  clear_requests();
  const ProcessResult result = renew(70);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(our_objects(), renewals({1}));
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();
  const json created = read_state()["created"];
  ASSERT_EQ(created.size(), 1U) << created.dump(2);
  EXPECT_EQ(created[0]["ssl_id"], sim_bound_certificate(kDomain)["id"]);
}

TEST_F(CleanupTest, TheUpdateStrategyLeavesNothingToCleanUp) {
  start();
  add_binding("site", {{"g1", kDomain}}, "strategy = \"update\"\nkeep_previous = 0\n");
  for (int days = 60; days <= 80; days += 10) {
    const ProcessResult result = renew(days);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  EXPECT_EQ(our_objects().size(), 1U);
  EXPECT_EQ(deletes_of_objects(), 0) << describe_requests();
  EXPECT_EQ(read_state()["created"].size(), 1U);
}

}  // namespace
}  // namespace apig_certd::testing::cleanup_test
