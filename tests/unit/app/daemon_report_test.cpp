#include "daemon/app/daemon_report.h"

#include <gtest/gtest.h>

namespace apig_certd::app::daemon_report_test {
namespace {

using std::chrono::hours;

const SystemTime kNow = SystemTime(hours(24 * 365 * 56));

engine::TargetOutcome outcome(const std::string& key, state::TargetResult result,
                              const std::string& detail) {
  engine::TargetOutcome value;
  value.key = key;
  value.binding = "www";
  value.target = "www.example.com";
  value.group_id = "g1";
  value.result = result;
  value.detail = detail;
  return value;
}

state::TargetState entry(const std::string& result) {
  state::TargetState value;
  value.binding = "www";
  value.last_result = state::parse_target_result(result);
  value.disk_sha256 = "ab12";
  value.ssl_id = "ssl-1";
  return value;
}

bool has_field(const LogLine& line, const std::string& name, const std::string& value) {
  for (const service::LogField& field : line.fields) {
    if (field.name == name && field.value == value) {
      return true;
    }
  }
  return false;
}

TEST(DescribePass, ABindIsInfoWithStructuredFields) {
  engine::ReconcileReport report;
  report.outcomes.push_back(
      outcome("k", state::TargetResult::Resolving, "'www_x' (ssl_id ssl-1), CNAME status 1"));
  state::State before;
  state::State after;
  after.targets["k"] = entry("resolving");
  after.targets["k"].bound_at = kNow;
  const std::vector<LogLine> lines = describe_pass(report, before, after);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].level, service::LogLevel::Info);
  EXPECT_TRUE(lines[0].message.starts_with("bound: binding 'www' -> www.example.com (group g1)"))
      << lines[0].message;
  EXPECT_TRUE(has_field(lines[0], "BINDING", "www"));
  EXPECT_TRUE(has_field(lines[0], "DOMAIN", "www.example.com"));
  EXPECT_TRUE(has_field(lines[0], "CERT_SHA256", "ab12"));
}

TEST(DescribePass, StillInSyncIsOnlyDebug) {
  engine::ReconcileReport report;
  report.outcomes.push_back(outcome("k", state::TargetResult::InSync, "'www_x' is bound"));
  state::State before;
  before.targets["k"] = entry("in_sync");
  const std::vector<LogLine> lines = describe_pass(report, before, before);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].level, service::LogLevel::Debug);
}

TEST(DescribePass, AFirstVerificationIsInfo) {
  engine::ReconcileReport report;
  report.outcomes.push_back(outcome(
      "k", state::TargetResult::InSync,
      "'www_x' is bound, CNAME resolved; verified: www.example.com serves ab12ab12ab12ab12..."));
  state::State before;
  before.targets["k"] = entry("in_sync");
  before.targets["k"].cname_status = 3;
  state::State after = before;
  after.targets["k"].verified_sha256 = "ab12";
  const std::vector<LogLine> lines = describe_pass(report, before, after);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].level, service::LogLevel::Info);
  EXPECT_NE(lines[0].message.find("verified: www.example.com serves"), std::string::npos);
}

TEST(DescribePass, FailuresAreErrorsWithTheApigCodeAndWarningsAreWarnings) {
  engine::ReconcileReport report;
  report.outcomes.push_back(outcome("k", state::TargetResult::Failed, "APIG.2101: key mismatch"));
  report.outcomes.back().warnings.push_back("the certificate on disk expires in 3 days");
  state::State before;
  before.targets["k"] = entry("failed");
  state::State after = before;
  after.targets["k"].last_error = state::LastError{"APIG.2101", "key mismatch", kNow};
  const std::vector<LogLine> lines = describe_pass(report, before, after);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].level, service::LogLevel::Warn);
  EXPECT_EQ(lines[1].level, service::LogLevel::Error);
  EXPECT_TRUE(has_field(lines[1], "APIG_ERROR_CODE", "APIG.2101"));
}

settings::Settings config_with(int targets) {
  settings::Settings config;
  settings::BindingSettings binding;
  binding.name = "www";
  for (int i = 0; i < targets; ++i) {
    binding.targets.push_back(
        {"i", "g", "d" + std::to_string(i), "", false, "", "", 443, true, "", {}});
  }
  config.bindings.push_back(binding);
  return config;
}

TEST(StatusLine, CountsTargetsByResultAndNamesTheNextCheck) {
  const settings::Settings config = config_with(4);
  state::State state;
  state.targets[state::target_key("www", "i", "g", "d0", "")] = entry("in_sync");
  state.targets[state::target_key("www", "i", "g", "d1", "")] = entry("bound");
  state.targets[state::target_key("www", "i", "g", "d2", "")] = entry("resolving");
  state::TargetState failed = entry("failed");
  failed.disk_not_after = kNow + hours(24);
  state.targets[state::target_key("www", "i", "g", "d3", "")] = failed;
  const SystemTime next = kNow + hours(2);
  const std::string line = status_line(config, state, next, kNow);
  EXPECT_TRUE(
      line.starts_with("4 targets: 2 in sync, 1 resolving, 1 failed; 1 expiring; next "
                       "check "))
      << line;
  EXPECT_TRUE(line.ends_with(" UTC")) << line;
}

TEST(StatusLine, TargetsNotSeenYetArePending) {
  EXPECT_EQ(status_line(config_with(1), {}, std::nullopt, kNow), "1 target: 0 in sync, 1 pending");
}

}  // namespace
}  // namespace apig_certd::app::daemon_report_test
