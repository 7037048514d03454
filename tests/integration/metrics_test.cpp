// The Prometheus textfile (`daemon.metrics_file`), written by `sync` and `run`, read back
// with a real text-format parser (python3-prometheus-client, as node_exporter's textfile
// collector would take it).

#include <functional>
#include <optional>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::metrics_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";

// The samples of a textfile, parsed by prometheus_client: [{name, labels, value}, ...].
json parse_with_prometheus_client(const std::filesystem::path& file) {
  const std::string script = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = []
with open(sys.argv[1]) as f:
    for family in text_string_to_metric_families(f.read()):
        for s in family.samples:
            samples.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(samples))
)";
  const ProcessResult parsed = run_process({"/usr/bin/python3", "-c", script, file.string()});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  json samples = json::parse(parsed.out, nullptr, false);
  return samples.is_array() ? samples : json::array();
}

std::optional<double> find_value(const json& samples, const std::string& name, const json& labels) {
  for (const json& sample : samples) {
    bool match = sample["name"] == name;
    for (const auto& [key, value] : labels.items()) {
      match = match && sample["labels"].value(key, "") == value;
    }
    if (match) {
      return sample["value"].get<double>();
    }
  }
  return std::nullopt;
}

double value_of(const json& samples, const std::string& name, const json& labels) {
  const std::optional<double> value = find_value(samples, name, labels);
  if (!value) {
    ADD_FAILURE() << "no sample " << name << labels.dump();
  }
  return value.value_or(-1);
}

// Seconds since the epoch `days` from now.
double days_from_now(int days) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(
          (std::chrono::system_clock::now() + std::chrono::hours(24 * days)).time_since_epoch())
          .count());
}

class MetricsTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    chain_ = make_chain({.sans = {kDomain}});
    write_certificate("site", *chain_);
    add_binding("site", {{"g1", kDomain}});
    metrics_ = temp_dir_.path() / "textfile/apig-certd.prom";
    std::filesystem::create_directories(metrics_.parent_path());
  }

  void check(const json& samples) const {
    ASSERT_FALSE(samples.empty()) << "nothing parsed";
    const json target = {{"binding", "site"}, {"domain", kDomain}, {"group_id", "g1"}};
    EXPECT_EQ(value_of(samples, "apig_certd_up", json::object()), 1);
    EXPECT_EQ(value_of(samples, "apig_certd_target_in_sync", target), 1);
    EXPECT_EQ(value_of(samples, "apig_certd_cname_status", target), 3);
    json success = target;
    success["result"] = "success";
    EXPECT_EQ(value_of(samples, "apig_certd_bind_total", success), 1);
    EXPECT_NEAR(value_of(samples, "apig_certd_certificate_not_after_timestamp_seconds", target),
                days_from_now(90), 600);
  }

  // Reads the textfile until `done(samples)` holds (then returns them) or 10 s pass (then
  // returns the last samples read, possibly none).
  json wait_for_samples(const std::function<bool(const json&)>& done) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    json samples = json::array();
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(metrics_)) {
        samples = parse_with_prometheus_client(metrics_);
        if (done(samples)) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return samples;
  }

  std::optional<TestChain> chain_;
  std::filesystem::path metrics_;
};

TEST_F(MetricsTest, SyncWritesATextfilePrometheusCanParse) {
  daemon_extra_ = "metrics_file = \"" + metrics_.string() + "\"\n";
  const ProcessResult result = sync();
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  ASSERT_TRUE(std::filesystem::exists(metrics_));
  check(parse_with_prometheus_client(metrics_));
  const std::string text = read_file(metrics_);
  EXPECT_EQ(text.find(kSyncSecretKey), std::string::npos);
}

TEST_F(MetricsTest, DaemonRewritesItAfterEachPass) {
  daemon_extra_ = "metrics_file = \"" + metrics_.string() + "\"\n";
  start_daemon();
  wait_ready();
  const json target = {{"binding", "site"}, {"domain", kDomain}, {"group_id", "g1"}};
  json success = target;
  success["result"] = "success";
  // The first pass: the start-up bind, then its CNAME poll.
  check(wait_for_samples([&](const json& samples) {
    return find_value(samples, "apig_certd_cname_status", target) == 3;
  }));

  // The second pass: a renewal, bound and counted.
  write_certificate(
      "site", make_chain({.sans = {kDomain}, .not_after_offset = std::chrono::hours(24 * 120)}));
  const json samples = wait_for_samples(
      [&](const json& read) { return find_value(read, "apig_certd_bind_total", success) == 2; });
  EXPECT_EQ(value_of(samples, "apig_certd_bind_total", success), 2) << daemon_->stderr_text();
  EXPECT_NEAR(value_of(samples, "apig_certd_certificate_not_after_timestamp_seconds", target),
              days_from_now(120), 600);
}

}  // namespace
}  // namespace apig_certd::testing::metrics_test
