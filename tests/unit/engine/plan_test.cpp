// The planner, table-driven: every branch of DESIGN.md §4 with hand-built observations and
// a fixed clock. No files, no network.

#include "daemon/engine/plan.h"

#include <gtest/gtest.h>

#include "daemon/core/time_format.h"

namespace apig_certd::engine::plan_test {
namespace {

using std::chrono::hours;

SystemTime day(const char* iso_date) {
  return *parse_utc_iso8601(std::string(iso_date) + "T12:00:00Z");
}

const SystemTime kNow = day("2026-11-28");
constexpr const char* kNewName = "shop_20270226_aaaaaaaa";
constexpr const char* kNewSha = "aaaaaaaa00000000000000000000000000000000000000000000000000000000";
constexpr const char* kOldName = "shop_20270101_bbbbbbbb";
constexpr const char* kOldSha = "bbbbbbbb00000000000000000000000000000000000000000000000000000000";

// One target, everything adjustable by the table rows.
struct Scenario {
  const char* name;
  // disk
  bool loadable = true;
  std::vector<std::string> disk_errors{};
  std::optional<std::string> domain_problem{};
  SystemTime disk_not_after = day("2027-02-26");
  // remote
  RemoteObservation::Status remote = RemoteObservation::Status::Found;
  ErrorCode remote_error = ErrorCode::Unavailable;
  std::string bound_ssl_id{};
  std::string bound_name{};
  std::optional<SystemTime> bound_not_after{};
  // state
  bool has_state = false;
  std::string state_ssl_id{};
  std::string state_bound_name{};
  std::string state_bound_sha{};
  std::string state_last_result{};
  std::string state_failed_sha{};
  std::optional<SystemTime> state_next_attempt{};
  // settings and options
  settings::Strategy strategy = settings::Strategy::Replace;
  settings::DriftPolicy drift = settings::DriftPolicy::Repair;
  PlanMode mode = PlanMode::Sync;
  bool force = false;
  // expectations
  Action expected = Action::None;
  const char* reason_words = "";
  bool expected_failure = false;
  bool expected_ours = false;
};

void PrintTo(const Scenario& scenario, std::ostream* out) {
  *out << scenario.name;
}

// One binding "shop" with one target, shop.example.com in group g1 of instance i1.
settings::Settings shop_config(settings::DriftPolicy drift, settings::Strategy strategy) {
  settings::Settings config;
  config.daemon.drift = drift;
  settings::BindingSettings binding;
  binding.name = "shop";
  binding.cert_name = "shop";
  binding.strategy = strategy;
  settings::TargetSettings target;
  target.instance_id = "i1";
  target.group_id = "g1";
  target.domain = "shop.example.com";
  binding.targets.push_back(target);
  config.bindings.push_back(binding);
  return config;
}

class PlanTable : public ::testing::TestWithParam<Scenario> {};

TEST_P(PlanTable, DecidesWithReason) {
  const Scenario& row = GetParam();
  const settings::Settings config = shop_config(row.drift, row.strategy);

  DiskObservation disk;
  if (row.loadable) {
    disk.certificate = DiskCertificate{kNewSha,
                                       kNewName,
                                       day("2026-11-27"),
                                       row.disk_not_after,
                                       apig::CertificateAlgorithm::Rsa,
                                       row.disk_errors,
                                       {}};
  } else {
    disk.load_error = "'/x/fullchain.pem' is empty";
  }
  state::TargetState target_state;
  target_state.ssl_id = row.state_ssl_id;
  target_state.bound_name = row.state_bound_name;
  target_state.bound_sha256 = row.state_bound_sha;
  target_state.last_result = state::parse_target_result(row.state_last_result);
  target_state.failed_sha256 = row.state_failed_sha;
  target_state.next_attempt = row.state_next_attempt;
  if (!row.state_ssl_id.empty()) {
    target_state.created.push_back(
        {row.state_ssl_id, row.state_bound_name, row.state_bound_sha, kNow, std::nullopt, ""});
  }

  TargetInput input;
  input.binding = &config.bindings[0];
  input.target = &config.bindings[0].targets[0];
  input.disk = &disk;
  input.domain_problem = row.domain_problem;
  input.remote.status = row.remote;
  input.remote.domain_id = "d1";
  input.remote.bound_ssl_id = row.bound_ssl_id;
  input.remote.bound_name = row.bound_name;
  input.remote.bound_not_after = row.bound_not_after;
  if (row.remote == RemoteObservation::Status::Error) {
    input.remote.error = Error(row.remote_error, "GET group: connection refused");
  }
  input.state = row.has_state ? &target_state : nullptr;

  PlanInput plan_input;
  plan_input.settings = &config;
  plan_input.targets.push_back(input);
  plan_input.now = kNow;
  plan_input.options = {row.mode, row.force};
  const std::vector<TargetPlan> plans = plan(plan_input);
  ASSERT_EQ(plans.size(), 1U);
  const TargetPlan& result = plans[0];
  EXPECT_EQ(result.action, row.expected) << to_string(result.action) << ": " << result.reason;
  EXPECT_NE(result.reason.find(row.reason_words), std::string::npos) << result.reason;
  EXPECT_EQ(result.failure, row.expected_failure) << result.reason;
  if (row.expected == Action::Bind || row.expected == Action::Update) {
    EXPECT_EQ(result.certificate_name, kNewName);
    EXPECT_EQ(result.sha256, kNewSha);
    EXPECT_EQ(result.bound_is_ours, row.expected_ours);
  }
  EXPECT_EQ(result.key, "shop/i1/g1/shop.example.com");
  EXPECT_EQ(result.repairs_drift, std::string(row.name) == "drift_repair");
}

INSTANTIATE_TEST_SUITE_P(
    Rules, PlanTable,
    ::testing::Values(
        // 1-3: nothing wrong is ever bound.
        Scenario{.name = "unloadable",
                 .loadable = false,
                 .expected = Action::Skip,
                 .reason_words = "cannot load the certificate: '/x/fullchain.pem' is empty",
                 .expected_failure = true},
        Scenario{.name = "invalid",
                 .disk_errors = {"key mismatch (APIG.2101)"},
                 .expected = Action::Skip,
                 .reason_words = "invalid certificate, not bound: key mismatch",
                 .expected_failure = true},
        Scenario{.name = "domain_not_covered",
                 .domain_problem = "no SAN covers it (APIG.2103)",
                 .expected = Action::Skip,
                 .reason_words = "invalid for this domain",
                 .expected_failure = true},
        // 4: what APIG has.
        Scenario{.name = "remote_error",
                 .remote = RemoteObservation::Status::Error,
                 .expected = Action::Skip,
                 .reason_words = "cannot read the domain from APIG",
                 .expected_failure = true},
        Scenario{.name = "domain_missing",
                 .remote = RemoteObservation::Status::DomainMissing,
                 .expected = Action::Skip,
                 .reason_words = "is not bound to API group 'g1'",
                 .expected_failure = true},
        Scenario{
            .name = "nothing_bound", .expected = Action::Bind, .reason_words = "nothing bound yet"},
        Scenario{.name = "in_sync_remote",
                 .bound_ssl_id = "s1",
                 .bound_name = kNewName,
                 .expected = Action::None,
                 .reason_words = "in sync"},
        Scenario{.name = "in_sync_ecc_name_from_ssl_infos",
                 .bound_ssl_id = "e1",
                 .bound_name = kNewName,
                 .expected = Action::None,
                 .reason_words = "in sync"},
        Scenario{.name = "in_sync_from_state_when_remote_not_observed",
                 .remote = RemoteObservation::Status::NotObserved,
                 .has_state = true,
                 .state_ssl_id = "s1",
                 .state_bound_name = kNewName,
                 .state_bound_sha = kNewSha,
                 .expected = Action::None,
                 .reason_words = "in sync"},
        Scenario{.name = "state_says_old_remote_not_observed",
                 .remote = RemoteObservation::Status::NotObserved,
                 .has_state = true,
                 .state_ssl_id = "s1",
                 .state_bound_name = kOldName,
                 .state_bound_sha = kOldSha,
                 .expected = Action::Bind,
                 .reason_words = "replacing",
                 .expected_ours = true},
        Scenario{.name = "force_rebinds_in_sync",
                 .bound_ssl_id = "s1",
                 .bound_name = kNewName,
                 .force = true,
                 .expected = Action::Bind,
                 .reason_words = "--force",
                 .expected_ours = true},
        Scenario{.name = "renewal_replaces_ours",
                 .bound_ssl_id = "s0",
                 .bound_name = kOldName,
                 .expected = Action::Bind,
                 .reason_words = "replacing 'shop_20270101_bbbbbbbb'",
                 .expected_ours = true},
        Scenario{.name = "foreign_first_adoption",
                 .bound_ssl_id = "f1",
                 .bound_name = "manual_upload",
                 .expected = Action::Bind,
                 .reason_words = "replacing 'manual_upload'"},
        // 4: the downgrade guard.
        Scenario{
            .name = "guard_refuses_older",
            .disk_not_after = day("2026-12-20"),
            .bound_ssl_id = "s0",
            .bound_name = kOldName,
            .expected = Action::Refuse,
            .reason_words = "refusing to replace 'shop_20270101_bbbbbbbb' (expires 2027-01-01)",
            .expected_failure = true},
        Scenario{.name = "guard_uses_remote_expiry_for_foreign",
                 .bound_ssl_id = "f1",
                 .bound_name = "manual_upload",
                 .bound_not_after = day("2028-01-01"),
                 .expected = Action::Refuse,
                 .reason_words = "use --force",
                 .expected_failure = true},
        Scenario{.name = "guard_same_day_is_not_a_downgrade",
                 .disk_not_after = day("2027-01-01"),
                 .bound_ssl_id = "s0",
                 .bound_name = kOldName,
                 .expected = Action::Bind,
                 .reason_words = "replacing",
                 .expected_ours = true},
        Scenario{.name = "force_overrides_guard",
                 .disk_not_after = day("2026-12-20"),
                 .bound_ssl_id = "s0",
                 .bound_name = kOldName,
                 .force = true,
                 .expected = Action::Bind,
                 .reason_words = "binding",
                 .expected_ours = true},
        Scenario{.name = "force_never_overrides_validity",
                 .disk_errors = {"expired (APIG.2102)"},
                 .force = true,
                 .expected = Action::Skip,
                 .reason_words = "expired",
                 .expected_failure = true},
        // 5: strategies.
        Scenario{.name = "update_rewrites_ours",
                 .bound_ssl_id = "s0",
                 .bound_name = kOldName,
                 .strategy = settings::Strategy::Update,
                 .expected = Action::Update,
                 .reason_words = "rewriting certificate object s0 in place",
                 .expected_ours = true},
        Scenario{.name = "update_falls_back_to_bind_when_nothing_bound",
                 .strategy = settings::Strategy::Update,
                 .expected = Action::Bind,
                 .reason_words = "nothing bound yet"},
        Scenario{.name = "update_never_rewrites_foreign",
                 .bound_ssl_id = "f1",
                 .bound_name = "manual_upload",
                 .strategy = settings::Strategy::Update,
                 .expected = Action::Bind,
                 .reason_words = "binding"},
        // 8: drift.
        Scenario{.name = "drift_repair",
                 .bound_ssl_id = "f9",
                 .bound_name = "someone_else",
                 .has_state = true,
                 .state_ssl_id = "s1",
                 .state_bound_name = kNewName,
                 .state_bound_sha = kNewSha,
                 .expected = Action::Bind,
                 .reason_words = "drift: the domain now serves 'someone_else'"},
        Scenario{.name = "drift_report",
                 .bound_ssl_id = "f9",
                 .bound_name = "someone_else",
                 .has_state = true,
                 .state_ssl_id = "s1",
                 .state_bound_name = kNewName,
                 .state_bound_sha = kNewSha,
                 .drift = settings::DriftPolicy::Report,
                 .expected = Action::ReportDrift,
                 .reason_words = "not repairing because drift = \"report\"",
                 .expected_failure = true},
        Scenario{.name = "drift_unbound_is_rebound",
                 .has_state = true,
                 .state_ssl_id = "s1",
                 .state_bound_name = kNewName,
                 .state_bound_sha = kNewSha,
                 .expected = Action::Bind,
                 .reason_words = "nothing bound yet"},
        // Daemon backoff.
        Scenario{.name = "daemon_waits_for_failed_fingerprint",
                 .has_state = true,
                 .state_last_result = "failed",
                 .state_failed_sha = kNewSha,
                 .state_next_attempt = kNow + hours(1),
                 .mode = PlanMode::Daemon,
                 .expected = Action::Wait,
                 .reason_words = "waiting until 2026-11-28T13:00:00Z"},
        Scenario{.name = "daemon_retries_when_due",
                 .has_state = true,
                 .state_last_result = "failed",
                 .state_failed_sha = kNewSha,
                 .state_next_attempt = kNow - hours(1),
                 .mode = PlanMode::Daemon,
                 .expected = Action::Bind,
                 .reason_words = "nothing bound yet"},
        Scenario{.name = "daemon_acts_at_once_on_a_new_file",
                 .has_state = true,
                 .state_last_result = "failed",
                 .state_failed_sha = kOldSha,
                 .state_next_attempt = kNow + hours(1),
                 .mode = PlanMode::Daemon,
                 .expected = Action::Bind,
                 .reason_words = "nothing bound yet"},
        Scenario{.name = "sync_ignores_backoff",
                 .has_state = true,
                 .state_last_result = "failed",
                 .state_failed_sha = kNewSha,
                 .state_next_attempt = kNow + hours(1),
                 .expected = Action::Bind,
                 .reason_words = "nothing bound yet"}),
    [](const ::testing::TestParamInfo<Scenario>& row_info) {
      return std::string(row_info.param.name);
    });

TEST(PlanWarnings, ExpiringCertificateIsWarnedAboutEvenWhenInSync) {
  settings::Settings config;
  settings::BindingSettings binding;
  binding.name = "shop";
  binding.targets.push_back({});
  config.bindings.push_back(binding);
  DiskObservation disk;
  disk.certificate = DiskCertificate{kNewSha,
                                     kNewName,
                                     kNow - hours(24 * 80),
                                     kNow + hours(24 * 10),
                                     apig::CertificateAlgorithm::Rsa,
                                     {},
                                     {}};
  TargetInput input;
  input.binding = &config.bindings[0];
  input.target = &config.bindings[0].targets[0];
  input.disk = &disk;
  input.remote.status = RemoteObservation::Status::Found;
  input.remote.bound_name = kNewName;
  input.remote.bound_ssl_id = "s1";
  PlanInput plan_input{&config, {input}, kNow, {}};
  const std::vector<TargetPlan> plans = plan(plan_input);
  EXPECT_EQ(plans[0].action, Action::None);
  ASSERT_EQ(plans[0].warnings.size(), 1U);
  EXPECT_NE(plans[0].warnings[0].find("expires in 10 days"), std::string::npos)
      << plans[0].warnings[0];
}

TEST(PlanNames, PrefixAndDate) {
  EXPECT_TRUE(same_name_prefix("shop_20270101_bbbbbbbb", "shop_20270226_aaaaaaaa"));
  EXPECT_FALSE(same_name_prefix("shopx_20270101_bbbbbbbb", "shop_20270226_aaaaaaaa"));
  EXPECT_FALSE(same_name_prefix("manual_upload", "shop_20270226_aaaaaaaa"));
  EXPECT_FALSE(same_name_prefix("shop_2027010x_bbbbbbbb", "shop_20270226_aaaaaaaa"));
  EXPECT_EQ(format_utc_iso8601(*date_from_name("shop_20270131_abcdef01")), "2027-01-31T00:00:00Z");
  EXPECT_FALSE(date_from_name("shop_20271341_abcdef01"));
  EXPECT_FALSE(date_from_name("manual"));
}

// What a refused POST may do with the bound certificate (DESIGN.md §4 step 5): delete only
// what the state lists as ours and is not global; detach anything else, and a foreign one
// only with drift = "repair".
struct RoomRow {
  const char* name;
  settings::Strategy strategy = settings::Strategy::Replace;
  bool created_by_us = false;  // the state lists the bound ssl_id as created
  apig::CertificateScope scope = apig::CertificateScope::Instance;
  const char* bound_name = "console_cert";
  settings::DriftPolicy drift = settings::DriftPolicy::Repair;
  MakeRoom expected = MakeRoom::Refuse;
};

// A valid RSA bundle, and the first target of `config` with certificate "old" named
// `bound_name` in its slot.
DiskObservation valid_rsa_disk() {
  DiskObservation disk;
  disk.certificate = DiskCertificate{
      kNewSha, kNewName, kNow - hours(24), kNow + hours(24 * 80), apig::CertificateAlgorithm::Rsa,
      {},      {}};
  return disk;
}

TargetInput bound_input(const settings::Settings& config, const DiskObservation& disk,
                        const std::string& bound_name) {
  TargetInput input;
  input.binding = &config.bindings[0];
  input.target = &config.bindings[0].targets[0];
  input.disk = &disk;
  input.remote.status = RemoteObservation::Status::Found;
  input.remote.domain_id = "d1";
  input.remote.bound_ssl_id = "old";
  input.remote.bound_name = bound_name;
  return input;
}

TEST(PlanMakeRoom, DeletesOnlyOurInstanceObjects) {
  const std::vector<RoomRow> rows = {
      {"ours", settings::Strategy::Replace, true, apig::CertificateScope::Instance,
       "shop_20260101_bbbbbbbb", settings::DriftPolicy::Repair, MakeRoom::Delete},
      // An attach's object serves the binding's other domains: detached, deleted by cleanup.
      {"ours_with_attach", settings::Strategy::Attach, true, apig::CertificateScope::Instance,
       "shop_20260101_bbbbbbbb", settings::DriftPolicy::Repair, MakeRoom::Detach},
      {"foreign_with_attach_and_report", settings::Strategy::Attach, false,
       apig::CertificateScope::Instance, "console_cert", settings::DriftPolicy::Report,
       MakeRoom::Refuse},
      {"ours_with_report", settings::Strategy::Replace, true, apig::CertificateScope::Instance,
       "shop_20260101_bbbbbbbb", settings::DriftPolicy::Report, MakeRoom::Delete},
      {"ours_but_global", settings::Strategy::Replace, true, apig::CertificateScope::Global,
       "shop_20260101_bbbbbbbb", settings::DriftPolicy::Repair, MakeRoom::Detach},
      {"foreign_instance", settings::Strategy::Replace, false, apig::CertificateScope::Instance,
       "console_cert", settings::DriftPolicy::Repair, MakeRoom::Detach},
      {"foreign_global", settings::Strategy::Replace, false, apig::CertificateScope::Global,
       "console_cert", settings::DriftPolicy::Repair, MakeRoom::Detach},
      {"foreign_with_report", settings::Strategy::Replace, false, apig::CertificateScope::Instance,
       "console_cert", settings::DriftPolicy::Report, MakeRoom::Refuse},
      {"our_name_not_in_the_state", settings::Strategy::Replace, false,
       apig::CertificateScope::Instance, "shop_20260101_bbbbbbbb", settings::DriftPolicy::Report,
       MakeRoom::Detach},
  };
  for (const RoomRow& row : rows) {
    const settings::Settings config = shop_config(row.drift, row.strategy);
    const DiskObservation disk = valid_rsa_disk();
    state::TargetState target_state;
    if (row.created_by_us) {
      target_state.created.push_back({"old", row.bound_name, "bb", kNow, std::nullopt, ""});
    }
    TargetInput input = bound_input(config, disk, row.bound_name);
    input.remote.bound_scope = row.scope;
    input.state = &target_state;
    PlanInput plan_input;
    plan_input.settings = &config;
    plan_input.targets.push_back(input);
    plan_input.now = kNow;
    plan_input.options = {PlanMode::Sync, true};  // --force: past the downgrade guard
    const std::vector<TargetPlan> plans = plan(plan_input);
    ASSERT_EQ(plans.size(), 1U);
    EXPECT_EQ(plans[0].make_room, row.expected) << row.name;
  }
}

// mTLS: on a domain that verifies client certificates, only an update of our own object with
// client_ca writes; everything else is refused before any write, for good (not retried).
struct MtlsRow {
  std::string name;
  settings::Strategy strategy;
  bool client_ca;
  std::string bound_name;
  bool client_verification;
  Action expected;
  std::string reason_part;
};

TEST(PlanClientVerification, WritesOnlyWhatKeepsTheCa) {
  using settings::Strategy;
  const std::vector<MtlsRow> rows = {
      {"plain_domain", Strategy::Replace, false, "console_cert", false, Action::Bind, ""},
      {"no_client_ca", Strategy::Replace, false, "shop_20260101_bbbbbbbb", true, Action::Skip,
       "set client_ca"},
      {"update_without_client_ca", Strategy::Update, false, "shop_20260101_bbbbbbbb", true,
       Action::Skip, "set client_ca"},
      {"update_of_ours", Strategy::Update, true, "shop_20260101_bbbbbbbb", true, Action::Update,
       ""},
      {"update_of_a_foreign_object", Strategy::Update, true, "console_cert", true, Action::Skip,
       "'console_cert' is not one"},
      // Attach creates an object of its own with the CA: whatever is bound, it may write.
      {"attach_over_a_foreign_object", Strategy::Attach, true, "console_cert", true, Action::Attach,
       "then detaching 'console_cert'"},
      {"attach_without_client_ca", Strategy::Attach, false, "console_cert", true, Action::Skip,
       "set client_ca"},
      {"attach_to_a_plain_domain", Strategy::Attach, false, "console_cert", false, Action::Attach,
       "one certificate object on instance"},
  };
  for (const MtlsRow& row : rows) {
    settings::Settings config = shop_config(settings::DriftPolicy::Repair, row.strategy);
    if (row.client_ca) {
      config.bindings[0].targets[0].client_ca = "/etc/apig-certd/clients.pem";
    }
    const DiskObservation disk = valid_rsa_disk();
    TargetInput input = bound_input(config, disk, row.bound_name);
    input.remote.client_verification = row.client_verification;
    PlanInput plan_input;
    plan_input.settings = &config;
    plan_input.targets.push_back(input);
    plan_input.now = kNow;
    const std::vector<TargetPlan> plans = plan(plan_input);
    ASSERT_EQ(plans.size(), 1U);
    EXPECT_EQ(plans[0].action, row.expected) << row.name << ": " << plans[0].reason;
    EXPECT_NE(plans[0].reason.find(row.reason_part), std::string::npos)
        << row.name << ": " << plans[0].reason;
    if (row.expected == Action::Skip) {
      EXPECT_TRUE(plans[0].failure) << row.name;
      EXPECT_FALSE(plans[0].retryable) << row.name;
    }
  }
}

// A domain listed once per custom inbound port: in sync only when every entry serves ours;
// bound on the first entry but not on another, only the others are written (a Bind, even
// with strategy "update", whose PUT would rewrite what the first entry already serves).
TEST(PlanPortEntries, InSyncOnlyWhenEveryEntryServesOurs) {
  for (const settings::Strategy strategy :
       {settings::Strategy::Replace, settings::Strategy::Update}) {
    const settings::Settings config = shop_config(settings::DriftPolicy::Repair, strategy);
    const DiskObservation disk = valid_rsa_disk();
    TargetInput input = bound_input(config, disk, kNewName);
    input.remote.port_entries = {{"d2", "old2", kNewName}};
    PlanInput plan_input;
    plan_input.settings = &config;
    plan_input.targets.push_back(input);
    plan_input.now = kNow;
    EXPECT_EQ(plan(plan_input).front().action, Action::None);

    plan_input.targets.front().remote.port_entries.push_back({"d3", "x", "console_cert"});
    const TargetPlan lagging = plan(plan_input).front();
    EXPECT_EQ(lagging.action, Action::Bind) << lagging.reason;
    EXPECT_NE(lagging.reason.find("not on the domain's port entries d3"), std::string::npos)
        << lagging.reason;
  }
}

}  // namespace
}  // namespace apig_certd::engine::plan_test
