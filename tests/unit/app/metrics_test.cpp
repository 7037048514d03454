#include "daemon/app/metrics.h"

#include <gtest/gtest.h>

namespace apig_certd::app::metrics_test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const SystemTime kMetricsNow = SystemTime(seconds(1'800'000'000));

state::State two_targets() {
  state::State state;
  state::TargetState www;
  www.binding = "www";
  www.instance_id = "i1";
  www.group_id = "g1";
  www.domain = "www.example.com";
  www.disk_not_after = kMetricsNow + hours(24 * 60);
  www.bound_not_after = kMetricsNow + hours(24 * 60);
  www.last_result = state::TargetResult::InSync;
  www.cname_status = 3;
  www.bind_successes = 2;
  www.bind_failures = 1;
  www.last_success = kMetricsNow;
  state.targets["www/i1/g1/www.example.com"] = www;
  state::TargetState odd;
  odd.binding = "odd \"name\"\\";
  odd.instance_id = "i1";
  odd.group_id = "g2";
  odd.domain_id = "d9";
  odd.disk_not_after = kMetricsNow + hours(24 * 3);
  odd.last_result = state::TargetResult::Failed;
  odd.consecutive_failures = 4;
  state.targets["odd/i1/g2/id:d9"] = odd;
  return state;
}

TEST(Metrics, RendersEveryTargetWithLabelsAndValues) {
  settings::Settings config;
  config.daemon.renew_warning = hours(24 * 21);
  const std::string text = render_metrics(config, two_targets(), true, kMetricsNow);
  const std::string www =
      R"({binding="www",domain="www.example.com",instance_id="i1",group_id="g1"})";
  EXPECT_NE(text.find("apig_certd_up 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("apig_certd_target_in_sync" + www + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("apig_certd_certificate_not_after_timestamp_seconds" + www + " " +
                      std::to_string(1'800'000'000 + 60 * 86400) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(apig_certd_bind_total{binding="www",domain="www.example.com",)"
                      R"(instance_id="i1",group_id="g1",result="failure"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("apig_certd_cname_status" + www + " 3\n"), std::string::npos);
  // Quotes and backslashes in label values are escaped; a domain_id-only target is "id:…".
  const std::string odd =
      R"({binding="odd \"name\"\\",domain="id:d9",instance_id="i1",group_id="g2"})";
  EXPECT_NE(text.find("apig_certd_certificate_expiring" + odd + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("apig_certd_consecutive_failures" + odd + " 4\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE apig_certd_bind_total counter\n"), std::string::npos);
}

TEST(Metrics, UpIsZeroWhenApigWasUnreadable) {
  const std::string text = render_metrics(settings::Settings{}, {}, false, kMetricsNow);
  EXPECT_NE(text.find("apig_certd_up 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace apig_certd::app::metrics_test
