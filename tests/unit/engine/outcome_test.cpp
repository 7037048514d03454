// outcome_of() and record() (outcome.h), table-driven: what a pass learned about a target in,
// the one outcome and the state entry out. Pure: no I/O, a fixed time.

#include "daemon/engine/outcome.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace apig_certd::engine::outcome_test {
namespace {

using state::TargetResult;
using std::chrono::hours;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(hours(24 * 365 * 57));

Error remote_error(long status, std::string code, ErrorCode kind) {
  return Error(kind, "APIG answered " + std::to_string(status) + " " + code)
      .with_remote({status, std::move(code), std::nullopt});
}

struct Row {
  std::string name{};
  Action action = Action::Bind;
  bool dry_run = false;
  bool retryable_plan = false;
  std::function<void(TargetRun&)> happened{};  // what the pass did
  // Expected.
  TargetResult result = TargetResult::Failed;
  std::string detail_part{};
  std::optional<std::string> error_code{};  // the recorded last_error code, nullopt for none
  std::optional<Duration> retry_in{};       // next_attempt - now
};

BindResult written(apig::CnameStatus cname) {
  BindResult write;
  write.written = true;
  write.ssl_id = "ssl-new";
  write.bound_name = "www_20270101_abcdef01";
  write.cname = cname;
  write.requests = write.writes = 1;
  return write;
}

BindResult failed(Error error) {
  BindResult write;
  write.error = std::move(error);
  return write;
}

class OutcomeTest : public ::testing::TestWithParam<Row> {};

TEST_P(OutcomeTest, IsComputedOnceAndRecorded) {
  const Row& row = GetParam();
  settings::Settings config;
  config.retry = {seconds(5), seconds(60)};
  config.daemon.rescan_interval = hours(1);
  settings::BindingSettings binding;
  binding.name = "www";
  settings::TargetSettings target;
  target.instance_id = "i1";
  target.group_id = "g1";
  target.domain = "www.example.com";
  DiskObservation disk;
  disk.certificate = DiskCertificate{"ab12",
                                     "www_20270101_abcdef01",
                                     kNow,
                                     kNow + hours(2000),
                                     apig::CertificateAlgorithm::Rsa,
                                     {},
                                     {}};
  ObservedTarget observed;
  observed.binding = &binding;
  observed.target = &target;
  observed.input.disk = &disk;
  observed.input.remote.status = RemoteObservation::Status::Found;
  observed.input.remote.sl_domain = "g1.apic.example";
  TargetRun run;
  run.observed = &observed;
  run.plan.key = "www/i1/g1/www.example.com";
  run.plan.action = row.action;
  run.plan.reason = "the plan's reason";
  run.plan.retryable = row.retryable_plan;
  run.plan.failure = row.action == Action::Skip || row.action == Action::Refuse;
  run.plan.certificate_name = "www_20270101_abcdef01";
  run.plan.sha256 = "ab12";
  run.poll.target = &target;
  if (row.happened) {
    row.happened(run);
  }
  OutcomeOptions options;
  options.dry_run = row.dry_run;
  options.cname_polled_later = true;
  options.poll_interval = seconds(5);
  const TargetOutcome outcome = outcome_of(run, options);
  EXPECT_EQ(outcome.result, row.result) << outcome.detail;
  EXPECT_NE(outcome.detail.find(row.detail_part), std::string::npos) << outcome.detail;

  if (row.dry_run) {
    return;  // A dry run records nothing.
  }
  state::TargetState entry;
  record(run, outcome, config, kNow, entry);
  if (row.action == Action::Wait) {
    EXPECT_FALSE(entry.last_result);
    return;
  }
  EXPECT_EQ(entry.last_result, row.result);
  EXPECT_EQ(entry.last_error ? std::optional(entry.last_error->code) : std::nullopt,
            row.error_code);
  EXPECT_EQ(entry.next_attempt ? std::optional(*entry.next_attempt - kNow) : std::nullopt,
            row.retry_in);
  EXPECT_EQ(entry.consecutive_failures, row.error_code ? 1 : 0);
  if (run.written()) {
    EXPECT_EQ(entry.ssl_id, "ssl-new");
    EXPECT_EQ(entry.bound_sha256, "ab12");
    ASSERT_EQ(entry.created.size(), 1U);
    EXPECT_EQ(entry.created[0].ssl_id, "ssl-new");
  }
  EXPECT_EQ(entry.last_success, outcome.ok() ? std::optional(kNow) : std::nullopt);
}

const std::vector<Row> kRows = {
    {.name = "InSyncAndResolved",
     .action = Action::None,
     .happened = [](TargetRun& run) { run.poll.cname = apig::CnameStatus::Resolved; },
     .result = TargetResult::InSync,
     .detail_part = "is bound, CNAME resolved"},
    {.name = "InSyncStillResolvingIsNoFailure",
     .action = Action::None,
     .happened = [](TargetRun& run) { run.poll.cname = apig::CnameStatus::Resolving; },
     .result = TargetResult::Resolving,
     .detail_part = "(resolving); checking again every 5s"},
    {.name = "BoundAndResolved",
     .happened =
         [](TargetRun& run) {
           run.write = written(apig::CnameStatus::Resolved);
           run.poll.cname = apig::CnameStatus::Resolved;
         },
     .result = TargetResult::Bound,
     .detail_part = "(ssl_id ssl-new), CNAME resolved"},
    {.name = "BoundButCnameFailedPointsAtTheSubdomain",
     .happened =
         [](TargetRun& run) {
           run.write = written(apig::CnameStatus::Failed);
           run.poll.cname = apig::CnameStatus::Failed;
         },
     .result = TargetResult::Failed,
     .detail_part = "g1.apic.example",
     .error_code = "bind",
     .retry_in = hours(1)},
    {.name = "ARejectedCertificateWaitsForTheRescan",
     .happened =
         [](TargetRun& run) {
           run.write = failed(remote_error(400, "APIG.2101", ErrorCode::InvalidArgument));
         },
     .result = TargetResult::Failed,
     .detail_part = "APIG.2101",
     .error_code = "APIG.2101",
     .retry_in = hours(1)},
    {.name = "ATransientFailureBacksOff",
     .happened = [](TargetRun& run) { run.write = failed(Error(ErrorCode::Timeout, "slow")); },
     .result = TargetResult::Failed,
     .detail_part = "slow",
     .error_code = "Timeout",
     .retry_in = seconds(5)},
    {.name = "NotAttemptedWhileStoppingIsRetryable",
     .happened =
         [](TargetRun& run) {
           run.not_attempted = Error(ErrorCode::Unavailable, "not attempted: stopping");
         },
     .result = TargetResult::Failed,
     .detail_part = "not attempted: stopping",
     .error_code = "Unavailable",
     .retry_in = seconds(5)},
    {.name = "LostWhileResolving",
     .happened =
         [](TargetRun& run) {
           run.write = written(apig::CnameStatus::Resolving);
           run.poll.lost_to = "console_cert";
         },
     .result = TargetResult::Failed,
     .detail_part = "it now serves 'console_cert'",
     .error_code = "bind",
     .retry_in = hours(1)},
    {.name = "ARefusedDowngrade",
     .action = Action::Refuse,
     .result = TargetResult::Refused,
     .detail_part = "the plan's reason",
     .error_code = "refuse",
     .retry_in = hours(1)},
    {.name = "AnInvalidBundle",
     .action = Action::Skip,
     .result = TargetResult::Invalid,
     .detail_part = "the plan's reason",
     .error_code = "invalid",
     .retry_in = hours(1)},
    {.name = "AnUnreadableGroupIsRetryable",
     .action = Action::Skip,
     .retryable_plan = true,
     .result = TargetResult::Failed,
     .detail_part = "the plan's reason",
     .error_code = "Unavailable",
     .retry_in = seconds(5)},
    {.name = "DryRunBind",
     .dry_run = true,
     .result = TargetResult::WouldBind,
     .detail_part = "the plan's reason"},
    {.name = "AWaitRecordsNothing",
     .action = Action::Wait,
     .result = TargetResult::Failed,
     .detail_part = "the plan's reason"},
};

INSTANTIATE_TEST_SUITE_P(Rows, OutcomeTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

}  // namespace
}  // namespace apig_certd::engine::outcome_test
