// The cleanup decision (issue 9), with hand-built `created` lists and a fixed clock: which
// superseded certificates go, which stay for a rollback, and that nothing apig-certd did not
// name and record is ever a candidate. No files, no network.

#include "daemon/engine/cleanup_plan.h"

#include <gtest/gtest.h>

#include "daemon/core/time_format.h"

namespace apig_certd::engine::cleanup_plan_test {
namespace {

using std::chrono::hours;

SystemTime at(const char* iso_date) {
  return *parse_utc_iso8601(std::string(iso_date) + "T12:00:00Z");
}

const SystemTime kNow = at("2026-11-28");

state::CreatedCertificate ours(const std::string& id, const char* created, const char* date) {
  state::CreatedCertificate certificate;
  certificate.ssl_id = id;
  certificate.name = "shop_" + std::string(date) + "_0123abcd";
  certificate.sha256 = std::string(64, 'a');
  certificate.created_at = at(created);
  return certificate;
}

settings::BindingSettings binding(int keep_previous, bool cleanup = true) {
  settings::BindingSettings settings;
  settings.name = "shop";
  settings.cert_name = "shop";
  settings.cleanup = cleanup;
  settings.keep_previous = keep_previous;
  return settings;
}

// Four generations, oldest first; "d" serves.
std::vector<state::CreatedCertificate> generations() {
  return {ours("a", "2026-01-01", "20260401"), ours("b", "2026-03-01", "20260601"),
          ours("c", "2026-05-01", "20260801"), ours("d", "2026-07-01", "20261001")};
}

struct Planner {
  settings::BindingSettings settings = binding(1);
  std::vector<state::CreatedCertificate> created = generations();
  std::string serving = "d";
  std::map<std::string, int, std::less<>> in_use{{"d", 1}};

  std::vector<CleanupDecision> decide() const {
    return plan_cleanup({&settings, &created, serving, &in_use, kNow, hours(1)});
  }
  std::vector<std::string> deleted_ids() const {
    std::vector<std::string> ids;
    for (const state::CreatedCertificate& certificate : deletions(decide())) {
      ids.push_back(certificate.ssl_id);
    }
    return ids;
  }
  CleanupVerdict verdict_of(const std::string& id) const {
    for (const CleanupDecision& decision : decide()) {
      if (decision.certificate.ssl_id == id) {
        return decision.verdict;
      }
    }
    ADD_FAILURE() << "no decision for " << id;
    return CleanupVerdict::Delete;
  }
};

using Ids = std::vector<std::string>;

TEST(CleanupPlan, KeepPreviousZeroDeletesEverySupersededOneOldestFirst) {
  Planner planner;
  planner.settings = binding(0);
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "b", "c"}));
  EXPECT_EQ(planner.verdict_of("d"), CleanupVerdict::KeepServing);
}

TEST(CleanupPlan, KeepPreviousOneKeepsTheNewestSupersededOne) {
  Planner planner;
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "b"}));
  EXPECT_EQ(planner.verdict_of("c"), CleanupVerdict::KeepForRollback);
}

TEST(CleanupPlan, KeepPreviousTwoKeepsTheTwoNewest) {
  Planner planner;
  planner.settings = binding(2);
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a"}));
  EXPECT_EQ(planner.verdict_of("b"), CleanupVerdict::KeepForRollback);
  EXPECT_EQ(planner.verdict_of("c"), CleanupVerdict::KeepForRollback);
}

TEST(CleanupPlan, KeepPreviousAboveTheCountDeletesNothing) {
  Planner planner;
  planner.settings = binding(5);
  EXPECT_TRUE(planner.deleted_ids().empty());
}

TEST(CleanupPlan, CleanupFalseDecidesNothing) {
  Planner planner;
  planner.settings = binding(0, false);
  EXPECT_TRUE(planner.decide().empty());
}

TEST(CleanupPlan, DecisionsComeNewestFirst) {
  Planner planner;
  std::vector<std::string> order;
  for (const CleanupDecision& decision : planner.decide()) {
    order.push_back(decision.certificate.ssl_id);
  }
  EXPECT_EQ(order, (Ids{"d", "c", "b", "a"}));
}

TEST(CleanupPlan, OrdersByCreationTimeNotByListPosition) {
  Planner planner;
  // Recorded out of order (a state edited by hand, a clock that jumped): age decides.
  planner.created = {ours("c", "2026-05-01", "20260801"), ours("a", "2026-01-01", "20260401"),
                     ours("d", "2026-07-01", "20261001"), ours("b", "2026-03-01", "20260601")};
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "b"}));
  EXPECT_EQ(planner.verdict_of("c"), CleanupVerdict::KeepForRollback);
}

TEST(CleanupPlan, OfEqualTimesTheOneRecordedLaterIsNewer) {
  Planner planner;
  planner.created = {ours("x", "2026-05-01", "20260801"), ours("y", "2026-05-01", "20260802"),
                     ours("d", "2026-07-01", "20261001")};
  EXPECT_EQ(planner.deleted_ids(), (Ids{"x"}));
  EXPECT_EQ(planner.verdict_of("y"), CleanupVerdict::KeepForRollback);
}

TEST(CleanupPlan, TheServingCertificateIsNeverDeletedEvenWhenOldest) {
  Planner planner;
  planner.settings = binding(0);
  planner.serving = "a";  // Rolled back to the oldest by hand.
  planner.in_use = {{"a", 1}};
  EXPECT_EQ(planner.deleted_ids(), (Ids{"b", "c", "d"}));
  EXPECT_EQ(planner.verdict_of("a"), CleanupVerdict::KeepServing);
}

TEST(CleanupPlan, ACertificateBoundToAnyDomainIsKept) {
  Planner planner;
  planner.settings = binding(0);
  planner.in_use = {{"d", 1}, {"b", 1}};  // Attached to another domain in the console.
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "c"}));
  EXPECT_EQ(planner.verdict_of("b"), CleanupVerdict::KeepInUse);
}

TEST(CleanupPlan, ForeignNamesAreNeverDeletedAndDoNotCountTowardsKeepPrevious) {
  Planner planner;
  planner.created = generations();
  planner.created[0].name = "console_upload";            // another tool's name
  planner.created[1].name = "shop_a_20260601_0123abcd";  // another binding's cert_name "shop_a"
  planner.created[2].name = "shop_20260801";             // our prefix, not our shape
  EXPECT_TRUE(planner.deleted_ids().empty());
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(planner.verdict_of(id), CleanupVerdict::KeepForeign) << id;
  }
}

TEST(CleanupPlan, AnEntryWithoutIdIsNeverACandidate) {
  Planner planner;
  planner.settings = binding(0);
  planner.created[0].ssl_id.clear();
  EXPECT_EQ(planner.deleted_ids(), (Ids{"b", "c"}));
}

TEST(CleanupPlan, AServingCertificateThatIsNotOursStopsEverything) {
  Planner planner;
  planner.settings = binding(0);
  planner.serving = "someone-elses";
  EXPECT_TRUE(planner.decide().empty());
}

TEST(CleanupPlan, ThePreviewOfABindCountsTheCurrentOneAsSuperseded) {
  Planner planner;
  planner.serving.clear();  // A new certificate will serve.
  planner.in_use.clear();   // ... and "d" will no longer be bound.
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "b", "c"}));
  EXPECT_EQ(planner.verdict_of("d"), CleanupVerdict::KeepForRollback);
}

TEST(CleanupPlan, AFailedDeleteIsHeldUntilTheRetryIntervalPasses) {
  Planner planner;
  planner.settings = binding(0);
  planner.created[0].delete_failed_at = kNow - std::chrono::minutes(59);
  planner.created[1].delete_failed_at = kNow - std::chrono::minutes(60);
  EXPECT_EQ(planner.verdict_of("a"), CleanupVerdict::KeepHeld);
  EXPECT_EQ(planner.deleted_ids(), (Ids{"b", "c"}));
}

TEST(CleanupPlan, AHeldCertificateStillCountsAsKeptWhenItIsAmongTheNewest) {
  Planner planner;
  planner.created[2].delete_failed_at = kNow;
  EXPECT_EQ(planner.verdict_of("c"), CleanupVerdict::KeepForRollback);
  EXPECT_EQ(planner.deleted_ids(), (Ids{"a", "b"}));
}

TEST(CleanupPlan, RecognisesOnlyNamesMadeFromTheCertName) {
  EXPECT_TRUE(is_our_certificate_name("shop_20270101_abcdef01", "shop"));
  EXPECT_TRUE(is_our_certificate_name("my_shop_20270101_abcdef01", "my-shop"));  // fitted
  EXPECT_FALSE(is_our_certificate_name("shop_a_20270101_abcdef01", "shop"));
  EXPECT_FALSE(is_our_certificate_name("shopx_20270101_abcdef01", "shop"));
  EXPECT_FALSE(is_our_certificate_name("shop_2027010_abcdef01", "shop"));
  EXPECT_FALSE(is_our_certificate_name("console_cert", "shop"));
  const std::string long_prefix(60, 'p');
  const std::string cut = std::string(32, 'p') + "_20270101_abcdef01";
  EXPECT_TRUE(is_our_certificate_name(cut, long_prefix));  // the prefix cut to fit 50
}

}  // namespace
}  // namespace apig_certd::engine::cleanup_plan_test
