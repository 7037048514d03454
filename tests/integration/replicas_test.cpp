// Replicas (issue 9, part 4): several apig-certd instances with the same config writing to the
// same APIG, as an HA pair on two hosts or two pods next to one cert-manager Secret, must not
// fight. Each waits debounce plus a random delay in [0, jitter] before acting on a change, and
// with jitter > 0 it re-reads the target right before every write: the desired certificate
// already bound (its name carries the fingerprint) is success without a write, and a newer one
// is never replaced (the downgrade guard, on what the re-read shows).
//
// Two `sync` tests pin the re-read down deterministically: the pass's own observation is made
// stale with a fault rule (the group as it was before another instance wrote), and the re-read
// sees the truth. Then two `run` daemons live through twenty renewals.

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::replicas_test {
namespace {

using nlohmann::json;

constexpr const char* kWww = "www.example.com";
constexpr const char* kApi = "api.example.com";
constexpr int kRenewals = 20;

// The day `days` from now as YYYYMMDD (UTC), as apig-certd's certificate names carry it.
std::string day_in(int days) {
  const std::time_t at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                              std::chrono::hours(24 * days));
  std::tm utc{};
  ::gmtime_r(&at, &utc);
  char text[16];
  std::strftime(text, sizeof(text), "%Y%m%d", &utc);
  return text;
}

class ReplicaSyncTest : public SyncTest {
 protected:
  // Group g1 with one domain, a binding "site" for it, jitter on (which turns on the re-read).
  void set_up_site(const TestChain& chain) {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kWww, {3})}))}));
    write_certificate("site", chain);
    add_binding("site", {{"g1", kWww}});
    daemon_extra_ = "jitter = \"1s\"\n";
  }

  // The group as APIG answers it now (what the next observation would see).
  json read_group() const {
    const std::string path =
        "/v2/" + std::string(kSyncProject) + "/apigw/instances/" + kSyncInstance + "/api-groups/g1";
    const auto result = admin()->Get(path.c_str(), {{"X-Auth-Token", kSyncToken}});
    EXPECT_TRUE(result && result->status == 200);
    return result ? json::parse(result->body, nullptr, false) : json();
  }

  // The next group read answers `group` (what the group looked like earlier).
  void serve_stale_group(const json& group) const {
    add_fault({{"method", "GET"},
               {"path_regex", "/api-groups/g1$"},
               {"count", 1},
               {"status", 200},
               {"body", group.dump()}});
  }
};

TEST_F(ReplicaSyncTest, CertificateAnotherInstanceBoundSinceTheObservationIsNotWrittenAgain) {
  const TestChain chain = renewal_chain({kWww, kApi}, 60);
  set_up_site(chain);
  const json before = read_group();  // nothing bound
  // The other instance binds it (a sync with the same config and its own state).
  ASSERT_EQ(sync({"--no-wait"}).exit_code, 0);
  ASSERT_EQ(sim_bound_certificate(kWww)["fingerprint"], sha256_fingerprint(chain.leaf));
  std::filesystem::remove_all(state_dir());  // this instance has never run
  clear_requests();
  serve_stale_group(before);
  const ProcessResult result = sync({"--no-wait"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();
  EXPECT_EQ(count_requests("GET"), 2) << describe_requests();  // the observation, the re-read
  EXPECT_NE(line_for(result, kWww).find("another instance"), std::string::npos) << result.out;
}

TEST_F(ReplicaSyncTest, NewerCertificateAnotherInstanceBoundIsNeverReplaced) {
  const TestChain older = renewal_chain({kWww, kApi}, 30);
  set_up_site(older);
  const json before = read_group();
  // The other instance, whose disk already has the renewal, bound it under our name scheme.
  const TestChain newer = renewal_chain({kWww, kApi}, 90);
  bind_out_of_band("g1", kWww,
                   "site_" + day_in(90) + "_" + sha256_fingerprint(newer.leaf).substr(0, 8), newer);
  clear_requests();
  serve_stale_group(before);
  const ProcessResult result = sync({"--no-wait"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(line_for(result, kWww).find("with an older certificate"), std::string::npos)
      << result.out;
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();
  EXPECT_EQ(sim_bound_certificate(kWww)["fingerprint"], sha256_fingerprint(newer.leaf));
}

TEST_F(ReplicaSyncTest, WithoutJitterTheFreshObservationIsTheOnlyRead) {
  const TestChain chain = renewal_chain({kWww, kApi}, 60);
  set_up_site(chain);
  daemon_extra_.clear();
  const ProcessResult result = sync({"--no-wait"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(count_requests("GET"), 1) << describe_requests();
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
}

// Two daemons over one kubelet-style Secret volume, the same config but each its own state
// directory (as on two hosts), jitter 1.5 s and debounce 200 ms so twenty renewals take about
// 25 s. Asserted after each renewal, once both daemons' states record it: every write carried
// the newest certificate (never an older or a wrong one), both targets serve it, and each was
// written once or twice. Reported: how many (renewal, target) pairs took one write.
class ReplicasTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    debounce_ = "200ms";
    log_level_ = "debug";
    daemon_extra_ = "jitter = \"1500ms\"\n";
  }

  void TearDown() override {
    if (second_) {
      second_->stop(milliseconds(15'000));
      outputs_ += second_->stdout_text() + second_->stderr_text();
    }
    RunTest::TearDown();
  }

  // Starts both daemons: the same config, each with its own state directory.
  void start_both() {
    const std::filesystem::path config = write_daemon_config();
    start_daemon_with(config);
    std::string text = read_file(config);
    const std::string from = "state_dir = \"" + state_dir().string() + "\"";
    const std::size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, from.size(), "state_dir = \"" + second_state_dir().string() + "\"");
    const std::filesystem::path second_config = temp_dir_.write("config-second.toml", text);
    second_notify_ = std::make_unique<NotifySocket>(temp_dir_.path() / "notify-second.sock");
    ASSERT_TRUE(second_notify_->bound());
    second_ =
        BackgroundProcess::start({APIG_CERTD_BINARY, "run", "--config", second_config.string()},
                                 {{"NOTIFY_SOCKET", second_notify_->path().string()},
                                  {"APIG_CERTD_CONFIG", ""},
                                  {"JOURNAL_STREAM", ""},
                                  {"WATCHDOG_USEC", ""}});
    ASSERT_NE(second_, nullptr);
    wait_ready();
    ASSERT_TRUE(second_notify_->wait_for("READY=1", milliseconds(20'000)))
        << second_->stderr_text();
  }

  std::filesystem::path second_state_dir() const { return temp_dir_.path() / "state-second"; }

  // Whether a daemon's state records `sha256` as bound on every target (its pass is over).
  static bool recorded(const std::filesystem::path& state_file, const std::string& sha256) {
    std::error_code error;
    if (!std::filesystem::exists(state_file, error)) {
      return false;
    }
    const json state = json::parse(read_file(state_file), nullptr, false);
    if (!state.is_object() || !state.contains("targets") || state["targets"].size() != 2) {
      return false;
    }
    return std::all_of(state["targets"].begin(), state["targets"].end(), [&](const json& target) {
      return target.value("bound_sha256", "") == sha256;
    });
  }

  // Waits until both domains serve `fingerprint` and both daemons have recorded it.
  bool wait_settled(const std::string& fingerprint) const {
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(15'000);
    while (std::chrono::steady_clock::now() < deadline) {
      if (bound_fingerprint(kWww) == fingerprint && bound_fingerprint(kApi) == fingerprint &&
          recorded(state_file(), fingerprint) &&
          recorded(second_state_dir() / "state.json", fingerprint)) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<BackgroundProcess> second_;
  std::unique_ptr<NotifySocket> second_notify_;
};

TEST_F(ReplicasTest, TwoDaemonsTwentyRenewalsEachTargetWrittenOnceAndNeverWithAnOlderCertificate) {
  start_sim(json::array(
      {sim_group("g1", json::array({sim_domain("g1", kWww, {3}), sim_domain("g1", kApi, {3})}))}));
  const std::filesystem::path volume = temp_dir_.path() / "tls";
  const auto publish = [&](const TestChain& chain) {
    kubelet_atomic_write(volume, {{"tls.crt", chain.fullchain()}, {"tls.key", chain.key.pem()}},
                         std::filesystem::perms(0400));
  };
  const TestChain first = renewal_chain({kWww, kApi}, 30);
  publish(first);
  bindings_ += "\n[[binding]]\nname = \"site\"\ncert = \"" + (volume / "tls.crt").string() +
               "\"\nkey = \"" + (volume / "tls.key").string() + "\"\n";
  for (const char* domain : {kWww, kApi}) {
    bindings_ += "  [[binding.target]]\n  instance_id = \"" + std::string(kSyncInstance) +
                 "\"\n  group_id = \"g1\"\n  domain = \"" + domain + "\"\n";
  }
  start_both();
  ASSERT_TRUE(wait_settled(sha256_fingerprint(first.leaf)))
      << daemon_->stderr_text() << second_->stderr_text();

  // writes[n]: how many (renewal, target) pairs took n writes.
  std::map<int, int> writes;
  int requests_total = 0;
  for (int renewal = 1; renewal <= kRenewals; ++renewal) {
    clear_requests();
    // Each renewal expires a day later than the one before, so an older one would be a
    // downgrade the guard can tell from the name.
    const TestChain chain = renewal_chain({kWww, kApi}, 30 + renewal);
    const std::string fingerprint = sha256_fingerprint(chain.leaf);
    publish(chain);
    ASSERT_TRUE(wait_settled(fingerprint))
        << "renewal " << renewal << " did not settle\n"
        << describe_requests() << daemon_->stderr_text() << second_->stderr_text();
    const json log = admin_get("/__admin/requests");
    std::map<std::string, int> per_domain{{"g1-www", 0}, {"g1-api", 0}};
    for (const json& entry : log.value("requests", json::array())) {
      ++requests_total;
      const std::string method = entry.value("method", "");
      const std::string path = entry.value("path", "");
      // Reads, and the cleanup of superseded certificates (both replicas may try the same
      // one; the loser gets a 404), are not binds.
      if (method == "GET" ||
          (method == "DELETE" && path.find("/apigw/certificates/") != std::string::npos)) {
        continue;
      }
      // Every write carries the newest certificate: never an older or a wrong one.
      ASSERT_EQ(method, "POST") << entry.dump();
      const json& body = entry["body"];
      const std::string name = body.is_object() ? body.value("name", "") : "";
      EXPECT_TRUE(name.ends_with("_" + fingerprint.substr(0, 8)))
          << "renewal " << renewal << " wrote '" << name << "'";
      EXPECT_LT(entry.value("status", 0), 300) << entry.dump();
      for (auto& [domain_id, count] : per_domain) {
        if (path.find("/domains/" + domain_id + "/") != std::string::npos) {
          ++count;
        }
      }
    }
    for (const auto& [domain_id, count] : per_domain) {
      EXPECT_GE(count, 1) << "renewal " << renewal << ": " << domain_id << " never written";
      EXPECT_LE(count, 2) << "renewal " << renewal << ": " << domain_id << "\n"
                          << describe_requests();
      ++writes[count];
    }
    EXPECT_EQ(bound_fingerprint(kWww), fingerprint);
    EXPECT_EQ(bound_fingerprint(kApi), fingerprint);
  }
  const int pairs = kRenewals * 2;
  const int once = writes[1];
  std::printf(
      "replicas: %d renewals x 2 targets, 2 daemons, jitter 1.5 s: %d written once, %d twice, "
      "%d more; %.1f %% once; %d API requests in all\n",
      kRenewals, once, writes[2], pairs - once - writes[2], 100.0 * once / pairs, requests_total);
  RecordProperty("renewal_targets", pairs);
  RecordProperty("written_once", once);
  RecordProperty("written_twice", writes[2]);
  RecordProperty("requests", requests_total);
  // The goal is >= 95 %, reported, not asserted: a double write needs both daemons' random
  // delays to fall within one write's latency (re-read answered -> POST arrived) of each
  // other, a few ms against 1.5 s on an idle machine but tens of ms on a loaded 2-core one
  // (90-100 % seen there, both targets of a pass colliding together). Asserted is a bound
  // that only a broken jitter misses: with jitter = "0s" the two daemons act within moments
  // of each other and 57.5 % were written once. (The re-read itself: ReplicaSyncTest.)
  EXPECT_GE(once * 100, pairs * 70);
  for (const auto& [daemon, text] :
       {std::pair{"first", daemon_->stderr_text()}, std::pair{"second", second_->stderr_text()}}) {
    EXPECT_NE(text.find("of quiet and a random delay of up to"), std::string::npos)
        << daemon << " daemon did not wait for its jitter:\n"
        << text;
    EXPECT_EQ(text.find("error:"), std::string::npos) << daemon << " daemon:\n" << text;
  }
}

}  // namespace
}  // namespace apig_certd::testing::replicas_test
