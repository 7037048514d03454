// The soak (issue 7): 1,000 certbot renewals driven through one running daemon, 50 lineages
// renewed together in each of 20 rounds, each with a fresh key. After every round the test
// waits until apig-sim serves every new certificate, then reads the daemon's VmRSS.
//
// What must hold: every renewal is bound exactly once (1,000 writes, none refused); the
// resident set of the last quarter of the rounds is, by its median, within 1 MiB (about
// 2 KiB per renewal in between) of the second quarter's, i.e. nothing grows per renewal or
// per connection. Medians, because RSS moves by a MiB or two from round to round as malloc's
// per-thread arenas fill and empty; the first quarter is warm-up. apig-sim closes every
// connection after 10 requests, so the workers reconnect many times in each quarter. The
// daemon stops cleanly on SIGTERM; the cleanup of superseded certificates leaves two objects
// per target in APIG and in the state (the created list used to grow by one per renewal, and
// with it the state file and the RSS: the soak found that). Under the
// sanitizer build (.ci/run's second stage) LeakSanitizer checks the daemon at that exit and
// RunTest::TearDown fails the test on any report; the RSS margin is not checked there
// (ASan's quarantine and shadow memory grow by design). The RSS curve is printed and
// recorded as test properties (rss_kib_round_N) for the notes.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/run_fixture.h"
#include "tests/support/sanitized.h"

namespace apig_certd::testing::soak_test {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr int kLineages = 50;
constexpr int kRounds = 20;
// Allowed growth of the median VmRSS from the second quarter to the last. A leak of a bundle,
// a response or a request per bind (several KiB each) exceeds it.
constexpr long kRssMarginKib = 1024;

// The median of rss_kib[first, first + count).
long median_kib(std::vector<long> rss_kib, int first, int count) {
  std::vector<long> window(rss_kib.begin() + first, rss_kib.begin() + first + count);
  std::sort(window.begin(), window.end());
  return window.at(window.size() / 2);
}

// VmRSS of `pid` in KiB (0 when unreadable).
long resident_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return 0;
}

std::string domain_of(int lineage) {
  return "s" + std::to_string(lineage) + ".example.com";
}

class SoakTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    debounce_ = "200ms";
    log_level_ = "info";
    concurrency_ = 8;
    // Every connection is closed after 10 requests, so the 8 workers reconnect (a new TLS
    // session, the CA file read again) about every other round: growth per connection shows.
    sim_arguments_ = {"--keep-alive-requests", "10"};
  }

  // A certificate for `lineage`, newer with every round (so no renewal looks like a
  // downgrade), with a key of its own.
  static TestChain renewal(int lineage, int round) {
    static const TestCa root = TestCa::create("apig-certd soak root");
    static const TestCa issuing = root.intermediate("apig-certd soak issuing CA");
    const TestKey key = make_key(KeyKind::EcP256);
    return {key,
            issuing.issue({.sans = {domain_of(lineage)},
                           .not_before_offset = hours(-1),
                           .not_after_offset = hours(24 * 60 + round)},
                          key),
            issuing.pem(), root.pem()};
  }

  // Lineages whose new certificate apig-sim does not serve yet, from one snapshot of its state.
  std::vector<int> not_bound_yet(const std::vector<std::string>& fingerprints) const {
    std::map<std::string, std::string> served = sim_served_fingerprints();
    std::vector<int> missing;
    for (int lineage = 0; lineage < kLineages; ++lineage) {
      if (served[domain_of(lineage)] != fingerprints.at(static_cast<std::size_t>(lineage))) {
        missing.push_back(lineage);
      }
    }
    return missing;
  }

  // Waits (bounded) until apig-sim serves every lineage's new certificate.
  bool wait_all_bound(const std::vector<std::string>& fingerprints) const {
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(60'000);
    while (!not_bound_yet(fingerprints).empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return true;
  }

  // certbot renews every lineage to archive version `round`; their new fingerprints.
  void renew_all(int round, std::vector<std::string>& fingerprints) {
    for (int lineage = 0; lineage < kLineages; ++lineage) {
      const TestChain chain = renewal(lineage, round);
      certbot_renew("l" + std::to_string(lineage), chain, round);
      fingerprints.at(static_cast<std::size_t>(lineage)) = sha256_fingerprint(chain.leaf);
    }
  }
};

TEST_F(SoakTest, ThousandRenewalsKeepTheResidentSetFlat) {
  json domains = json::array();
  for (int lineage = 0; lineage < kLineages; ++lineage) {
    domains.push_back(sim_domain("g1", domain_of(lineage), {3}));
  }
  // "unbind": as APIG does (issue 9), a replaced certificate object stays behind, unbound, for
  // the cleanup of superseded certificates to delete (with a 204).
  start_sim(json::array({sim_group("g1", domains)}), "unbind");
  std::vector<std::string> fingerprints(kLineages);
  renew_all(1, fingerprints);
  for (int lineage = 0; lineage < kLineages; ++lineage) {
    const std::filesystem::path live =
        temp_dir_.path() / "letsencrypt/live" / ("l" + std::to_string(lineage));
    add_file_binding("l" + std::to_string(lineage), live / "fullchain.pem", live / "privkey.pem",
                     domain_of(lineage));
  }
  start_daemon();
  wait_ready();
  clear_requests();

  std::vector<long> rss_kib;
  for (int round = 2; round <= kRounds + 1; ++round) {
    renew_all(round, fingerprints);
    ASSERT_TRUE(wait_all_bound(fingerprints))
        << "round " << round << ": " << not_bound_yet(fingerprints).size()
        << " lineage(s) not bound within 60 s\n"
        << daemon_->stderr_text();
    std::this_thread::sleep_for(milliseconds(300));  // the pass's CNAME poll and state write
    rss_kib.push_back(resident_kib(daemon_->pid()));
    RecordProperty("rss_kib_round_" + std::to_string(round - 1), std::to_string(rss_kib.back()));
  }

  std::printf("soak: VmRSS (KiB) after each round of %d renewals:", kLineages);
  for (const long kib : rss_kib) {
    std::printf(" %ld", kib);
  }
  std::printf("\n");
  EXPECT_EQ(count_requests("POST", "/certificate"), kLineages * kRounds) << describe_requests();
  for (const LoggedRequest& request : requests()) {
    EXPECT_TRUE(request.status >= 200 && request.status < 300)
        << request.method << " " << request.path << " -> " << request.status;
  }
  if (!kSanitized) {
    const long warm = median_kib(rss_kib, kRounds / 4, kRounds / 4);
    const long last = median_kib(rss_kib, kRounds - kRounds / 4, kRounds / 4);
    std::printf("soak: median VmRSS %ld KiB in the second quarter, %ld KiB in the last\n", warm,
                last);
    EXPECT_LE(last, warm + kRssMarginKib)
        << "the daemon's resident set grew from a median of " << warm
        << " KiB in the second quarter of the rounds to " << last << " KiB in the last";
  }
  EXPECT_EQ(daemon_->stop(milliseconds(30'000)), 0) << daemon_->stderr_text();
  // 21 certificates were created per target; the cleanup of superseded certificates deleted
  // all but the serving one and keep_previous (1) more, in APIG and in the state.
  const json state = json::parse(read_file(state_file()));
  ASSERT_EQ(state["targets"].size(), static_cast<std::size_t>(kLineages));
  for (const json& target : state["targets"]) {
    EXPECT_LE(target["created"].size(), 2U) << target.dump();
  }
  EXPECT_LE(sim_certificates().size(), static_cast<std::size_t>(2 * kLineages));
}

}  // namespace
}  // namespace apig_certd::testing::soak_test
