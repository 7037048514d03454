// `apig-certd sync` as an operator runs it (DESIGN.md §2, §4, §5): the real binary against
// apig-sim over HTTPS. The happy paths, the plan (--dry-run, --force, --binding), the
// simulator's two second-bind behaviours, CNAME outcomes, the state file and its lock, and
// drift. Faults and invalid bundles are in sync_faults_test.cpp.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::sync_command_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::hours;

// A leaf for `domains` valid for `days` more days, issued by the test chain (RSA by default:
// APIG shows RSA certificates in ssl_id/ssl_name, ECC ones in ssl_infos only).
TestChain certificate(std::vector<std::string> domains, int days = 90,
                      KeyKind kind = KeyKind::Rsa2048) {
  return make_chain({.sans = std::move(domains), .not_after_offset = hours(24 * days)}, kind);
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct FileSnapshot {
  bool exists = false;
  std::string content;
  std::int64_t mtime_ns = 0;
  std::vector<std::string> directory;  // names in the state dir
};

FileSnapshot snapshot(const fs::path& state_dir) {
  FileSnapshot result;
  struct stat status {};
  const fs::path file = state_dir / "state.json";
  if (::stat(file.c_str(), &status) == 0) {
    result.exists = true;
    result.content = read_file(file);
    result.mtime_ns = std::int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec;
  }
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(state_dir, error)) {
    result.directory.push_back(entry.path().filename().string());
  }
  std::sort(result.directory.begin(), result.directory.end());
  return result;
}

// ---------------------------------------------------------------------------------------
// Binding, the second pass, the plan.

TEST_F(SyncTest, FirstSyncBindsEveryTargetOnceAndWaitsForTheCname) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com"),
                                                      sim_domain("g1", "api.example.com")}))}));
  const TestChain chain = certificate({"www.example.com", "api.example.com"});
  write_certificate("site", chain);
  add_binding("site", {{"g1", "www.example.com"}, {"g1", "api.example.com"}});

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const std::string domain : {"www.example.com", "api.example.com"}) {
    const std::string line = line_for(result, domain);
    EXPECT_TRUE(starts_with(line, "bound: binding 'site' -> " + domain + " (group g1): 'site_"))
        << line;
    EXPECT_TRUE(contains(line, "CNAME resolved")) << line;
    EXPECT_EQ(count_requests("POST", "/domains/g1-" + domain.substr(0, 3) + "/certificate"), 1)
        << describe_requests();
    EXPECT_EQ(sim_domain_state(domain)["cname_status"], 3);
    EXPECT_EQ(sim_bound_certificate(domain)["fingerprint"], sha256_fingerprint(chain.leaf));
  }
  EXPECT_EQ(count_requests("POST"), 2) << describe_requests();
  EXPECT_EQ(sim_certificates().size(), 2U);  // One certificate object per domain.
  EXPECT_TRUE(contains(result.err, "2 target(s): 2 bound, 0 in sync")) << result.err;
}

TEST_F(SyncTest, SecondSyncOnlyReads) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  clear_requests();

  const ProcessResult second = sync();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_TRUE(starts_with(line_for(second, "www.example.com"), "in sync: ")) << second.out;
  const std::vector<LoggedRequest> logged = requests();
  EXPECT_FALSE(logged.empty());
  for (const LoggedRequest& request : logged) {
    EXPECT_EQ(request.method, "GET") << request.path;
  }
  EXPECT_TRUE(contains(second.err, "0 writes")) << second.err;
}

TEST_F(SyncTest, DryRunChangesNothingRemoteOrLocal) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain first = certificate({"www.example.com"});
  write_certificate("site", first);
  add_binding("site", {{"g1", "www.example.com"}});

  // Before any sync: the plan, and not even the state directory appears.
  ProcessResult dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(starts_with(line_for(dry, "www.example.com"), "would bind: ")) << dry.out;
  EXPECT_FALSE(fs::exists(state_dir()));
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0);

  ASSERT_EQ(sync().exit_code, 0);
  const FileSnapshot before = snapshot(state_dir());
  ASSERT_TRUE(before.exists);
  clear_requests();

  dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(starts_with(line_for(dry, "www.example.com"), "in sync: ")) << dry.out;

  // A renewal on disk: the plan says so, nothing is written.
  write_certificate("site", certificate({"www.example.com"}, 120));
  dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(starts_with(line_for(dry, "www.example.com"), "would bind: ")) << dry.out;

  for (const LoggedRequest& request : requests()) {
    EXPECT_EQ(request.method, "GET") << request.path;
  }
  const FileSnapshot after = snapshot(state_dir());
  EXPECT_EQ(after.content, before.content);
  EXPECT_EQ(after.mtime_ns, before.mtime_ns);
  EXPECT_EQ(after.directory, before.directory);
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(first.leaf));
}

TEST_F(SyncTest, DryRunExitsOneWhenApigCannotBeRead) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  add_fault({{"method", "GET"},
             {"status", 403},
             {"body", R"({"error_code":"APIG.1005","error_msg":"No permissions"})"}});
  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 1) << dry.out << dry.err;
  const std::string line = line_for(dry, "www.example.com");
  EXPECT_TRUE(starts_with(line, "failed: ")) << line;
  EXPECT_TRUE(contains(line, "APIG.1005")) << line;
  EXPECT_FALSE(fs::exists(state_dir()));
}

TEST_F(SyncTest, NewCertificateOnDiskIsBoundOnTheNextSync) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  const json old_certificate = sim_bound_certificate("www.example.com");

  const TestChain renewed = certificate({"www.example.com"}, 120);
  write_certificate("site", renewed);
  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(starts_with(line_for(result, "www.example.com"), "bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  const json bound = sim_bound_certificate("www.example.com");
  EXPECT_EQ(bound["fingerprint"], sha256_fingerprint(renewed.leaf));
  EXPECT_NE(bound["name"], old_certificate["name"]);
  EXPECT_TRUE(
      contains(bound["name"].get<std::string>(), sha256_fingerprint(renewed.leaf).substr(0, 8)))
      << bound;
}

TEST_F(SyncTest, OlderCertificateIsRefusedUnlessForced) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain newer = certificate({"www.example.com"}, 90);
  write_certificate("site", newer);
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);

  const TestChain older = certificate({"www.example.com"}, 30);
  write_certificate("site", older);
  clear_requests();
  ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(starts_with(line, "failed: ")) << line;
  EXPECT_TRUE(contains(line, "refusing to replace")) << line;
  EXPECT_TRUE(contains(line, "--force")) << line;
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(newer.leaf));

  result = sync({"--force"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(starts_with(line_for(result, "www.example.com"), "bound: ")) << result.out;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(older.leaf));
}

TEST_F(SyncTest, ForceBindsAgainWhenInSync) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  clear_requests();
  const ProcessResult result = sync({"--force"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(starts_with(line_for(result, "www.example.com"), "bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  EXPECT_EQ(sim_certificates().size(), 1U);
}

TEST_F(SyncTest, SeveralTargetsInSeveralGroupsReadEachGroupOncePerRound) {
  json groups = json::array();
  std::vector<SyncTarget> targets;
  std::vector<std::string> names;
  for (const std::string group : {"g1", "g2", "g3"}) {
    json domains = json::array();
    for (const std::string label : {"a", "b"}) {
      const std::string domain = label + group + ".example.com";
      domains.push_back(sim_domain(group, domain));
      targets.push_back({group, domain});
      names.push_back(domain);
    }
    groups.push_back(sim_group(group, domains));
  }
  start_sim(groups);
  const TestChain chain = certificate(names, 90, KeyKind::EcP256);  // ECC: ssl_infos only.
  write_certificate("fleet", chain);
  add_binding("fleet", targets);

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(lines_of(result.out).size(), 6U) << result.out;
  for (const SyncTarget& target : targets) {
    EXPECT_TRUE(starts_with(line_for(result, target.domain), "bound: ")) << result.out;
    EXPECT_EQ(count_requests("POST", "/domains/" + target.group_id + "-" +
                                         target.domain.substr(0, target.domain.find('.')) +
                                         "/certificate"),
              1);
    EXPECT_EQ(sim_bound_certificate(target.domain)["fingerprint"], sha256_fingerprint(chain.leaf));
  }
  EXPECT_EQ(count_requests("POST"), 6) << describe_requests();
  // One read per group to observe, then one per group per poll round: [2, 3] takes two
  // rounds. Never one read per domain.
  for (const std::string group : {"g1", "g2", "g3"}) {
    int reads = 0;
    for (const LoggedRequest& request : requests()) {
      if (request.method == "GET" && request.path.ends_with("/api-groups/" + group)) {
        ++reads;
      }
    }
    EXPECT_EQ(reads, 3) << group << "\n" << describe_requests();
  }

  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_requests("GET"), 3) << describe_requests();  // One read per group.
  EXPECT_EQ(requests().size(), 3U) << describe_requests();
}

// ---------------------------------------------------------------------------------------
// A second bind on a domain that has a certificate: the simulator either replaces it or
// refuses with APIG.2051; both must end with only the new certificate.

class SecondBind : public SyncTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SecondBind, EndsWithOnlyTheNewCertificate) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain first = certificate({"www.example.com"}, 60);
  write_certificate("site", first);
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  set_second_bind(GetParam());

  const TestChain second = certificate({"www.example.com"}, 90);
  write_certificate("site", second);
  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(starts_with(line_for(result, "www.example.com"), "bound: ")) << result.out;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(second.leaf));
  for (const json& certificate : sim_certificates()) {
    EXPECT_NE(certificate["fingerprint"], sha256_fingerprint(first.leaf)) << certificate["name"];
  }
  EXPECT_EQ(sim_certificates().size(), 1U);

  std::vector<std::string> writes;
  for (const LoggedRequest& request : requests()) {
    if (request.method != "GET") {
      writes.push_back(request.method + " " + std::to_string(request.status));
    }
  }
  if (GetParam() == "refuse") {
    EXPECT_EQ(writes, (std::vector<std::string>{"POST 400", "DELETE 204", "POST 201"}))
        << describe_requests();
  } else {
    EXPECT_EQ(writes, (std::vector<std::string>{"POST 201"})) << describe_requests();
  }
}

INSTANTIATE_TEST_SUITE_P(Simulator, SecondBind, ::testing::Values("replace", "refuse"));

TEST_F(SyncTest, UpdateStrategyRewritesTheCertificateInPlace) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}, 60));
  add_binding("site", {{"g1", "www.example.com"}}, "strategy = \"update\"\n");
  // Nothing bound yet: update falls back to the seed call.
  ASSERT_EQ(sync().exit_code, 0);
  EXPECT_EQ(count_requests("POST"), 1);
  const json before = sim_bound_certificate("www.example.com");

  const TestChain renewed = certificate({"www.example.com"}, 90);
  write_certificate("site", renewed);
  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(starts_with(line, "bound: ")) << line;
  EXPECT_TRUE(contains(line, "updated in place")) << line;
  EXPECT_EQ(count_requests("PUT", "/certificates/" + before["id"].get<std::string>()), 1)
      << describe_requests();
  EXPECT_EQ(count_requests("POST") + count_requests("DELETE"), 0) << describe_requests();
  const json after = sim_bound_certificate("www.example.com");
  EXPECT_EQ(after["id"], before["id"]);
  EXPECT_EQ(after["fingerprint"], sha256_fingerprint(renewed.leaf));
  EXPECT_EQ(sim_certificates().size(), 1U);
}

// ---------------------------------------------------------------------------------------
// --binding.

TEST_F(SyncTest, BindingOptionSyncsOnlyThatBinding) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com"),
                                                      sim_domain("g1", "shop.example.com")}))}));
  write_certificate("www", certificate({"www.example.com"}));
  write_certificate("shop", certificate({"shop.example.com"}));
  add_binding("www", {{"g1", "www.example.com"}});
  add_binding("shop", {{"g1", "shop.example.com"}});

  ProcessResult result = sync({"--binding", "shop"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(lines_of(result.out).size(), 1U) << result.out;
  EXPECT_TRUE(starts_with(line_for(result, "shop.example.com"), "bound: ")) << result.out;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  EXPECT_EQ(count_requests("POST", "/domains/g1-shop/"), 1) << describe_requests();
  EXPECT_TRUE(sim_bound_certificate("www.example.com").is_null());

  clear_requests();
  result = sync({"--binding", "nope"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "no binding named 'nope'")) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_TRUE(requests().empty()) << describe_requests();
}

// ---------------------------------------------------------------------------------------
// The state file and its lock.

TEST_F(SyncTest, StateFileIsPrivateVersionedAndRecordsTheBinding) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain chain = certificate({"www.example.com"});
  write_certificate("site", chain);
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);

  struct stat status {};
  ASSERT_EQ(::stat(state_dir().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0700U);
  ASSERT_EQ(::stat(state_file().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600U);

  const json state = json::parse(read_file(state_file()), nullptr, false);
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state["version"], 1);
  const std::string key = "site/i1/g1/www.example.com";
  ASSERT_TRUE(state["targets"].contains(key)) << state.dump(2);
  const json& target = state["targets"][key];
  const json bound = sim_bound_certificate("www.example.com");
  EXPECT_EQ(target["ssl_id"], bound["id"]);
  EXPECT_EQ(target["bound_name"], bound["name"]);
  EXPECT_EQ(target["bound_sha256"], sha256_fingerprint(chain.leaf));
  EXPECT_EQ(target["cname_status"], 3);
  EXPECT_EQ(target["last_result"], "bound");
}

TEST_F(SyncTest, CorruptStateIsMovedAsideAndRebuiltWithoutBindingAgain) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  const json bound = sim_bound_certificate("www.example.com");

  temp_dir_.write("state/state.json", "{\"version\": 1, \"targets\": [tru");
  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "notice: the state file was unusable")) << result.err;
  EXPECT_TRUE(contains(result.err, "state.json.corrupt-")) << result.err;
  EXPECT_TRUE(starts_with(line_for(result, "www.example.com"), "in sync: ")) << result.out;
  int moved_aside = 0;
  for (const auto& entry : fs::directory_iterator(state_dir())) {
    if (entry.path().filename().string().starts_with("state.json.corrupt-")) {
      ++moved_aside;
      EXPECT_EQ(read_file(entry.path()), "{\"version\": 1, \"targets\": [tru");
    }
  }
  EXPECT_EQ(moved_aside, 1);
  for (const LoggedRequest& request : requests()) {
    EXPECT_EQ(request.method, "GET") << request.path;  // Zero writes.
  }
  const json state = json::parse(read_file(state_file()), nullptr, false);
  ASSERT_TRUE(state.is_object()) << read_file(state_file());
  EXPECT_EQ(state["targets"]["site/i1/g1/www.example.com"]["ssl_id"], bound["id"]);
}

TEST_F(SyncTest, TwoSyncsAtOnceBindOnce) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  const fs::path config = write_config();
  // The first POST takes 1.5 s, so whichever sync gets the lock holds it while the other
  // waits; the other then finds the certificate bound.
  add_fault({{"method", "POST"}, {"delay_ms", 1500}});
  auto first = std::async(std::launch::async, [&config] {
    return run_sync(config, {"--lock-timeout", "20s"});
  });
  auto second = std::async(std::launch::async, [&config] {
    return run_sync(config, {"--lock-timeout", "20s"});
  });
  const ProcessResult a = first.get();
  const ProcessResult b = second.get();
  outputs_ += a.out + a.err + b.out + b.err;
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
  const std::multiset<std::string> results{
      line_for(a, "www.example.com").substr(0, line_for(a, "www.example.com").find(':')),
      line_for(b, "www.example.com").substr(0, line_for(b, "www.example.com").find(':'))};
  EXPECT_EQ(results, (std::multiset<std::string>{"bound", "in sync"}));
}

TEST_F(SyncTest, LockTimeoutLoserExitsTempFail) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  const fs::path config = write_config();
  add_fault({{"method", "POST"}, {"delay_ms", 3000}});
  auto first = std::async(std::launch::async, [&config] {
    return run_sync(config, {"--lock-timeout", "1s"});
  });
  auto second = std::async(std::launch::async, [&config] {
    return run_sync(config, {"--lock-timeout", "1s"});
  });
  const ProcessResult a = first.get();
  const ProcessResult b = second.get();
  outputs_ += a.out + a.err + b.out + b.err;
  const std::multiset<int> codes{a.exit_code, b.exit_code};
  EXPECT_EQ(codes, (std::multiset<int>{0, 75})) << a.err << b.err;
  const ProcessResult& loser = a.exit_code == 75 ? a : b;
  EXPECT_TRUE(loser.out.empty()) << loser.out;
  EXPECT_TRUE(contains(loser.err, "lock")) << loser.err;
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
}

TEST_F(SyncTest, NoSecretInOutputOrStateWithTokenAuth) {
  // TearDown scans every output and the state file; this test makes sure a bind with token
  // auth (the token in every request) and a failed bind (an error message) are among them.
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  use_token_ = true;
  write_certificate("site", certificate({"www.example.com"}));
  add_binding("site", {{"g1", "www.example.com"}});
  EXPECT_EQ(sync().exit_code, 0);
  write_certificate("site", certificate({"www.example.com"}, 120));
  add_fault({{"method", "POST"},
             {"status", 400},
             {"body", R"({"error_code":"APIG.2101","error_msg":"key mismatch"})"}});
  EXPECT_EQ(sync().exit_code, 1);
  EXPECT_TRUE(contains(outputs_, "APIG.2101"));
  ASSERT_TRUE(fs::exists(state_file()));
  EXPECT_TRUE(contains(read_file(state_file()), "APIG.2101"));
}

// ---------------------------------------------------------------------------------------
// Drift: a certificate bound behind apig-certd's back.

class DriftRepair : public SyncTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(DriftRepair, RebindsOursAndSaysSo) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain ours = certificate({"www.example.com"}, 90);
  write_certificate("site", ours);
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  bind_out_of_band("g1", "www.example.com", "console_cert", certificate({"www.example.com"}, 30));
  ASSERT_EQ(sim_bound_certificate("www.example.com")["name"], "console_cert");
  set_second_bind(GetParam());

  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(starts_with(line, "bound: ")) << line;
  EXPECT_TRUE(contains(line, "drift")) << line;
  EXPECT_TRUE(contains(line, "console_cert")) << line;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"], sha256_fingerprint(ours.leaf));
  if (GetParam() == "refuse") {
    // APIG refused the second bind: the foreign certificate was detached, never deleted (issue
    // 18): its object stays, bound nowhere.
    EXPECT_TRUE(contains(line, "detaching certificate")) << line;
    EXPECT_EQ(count_requests("DELETE"), 0) << describe_requests();
    EXPECT_EQ(sim_certificates().size(), 2U) << describe_requests();
  } else {
    EXPECT_EQ(sim_certificates().size(), 1U) << describe_requests();  // the simulator replaced it
  }

  // Repaired for good: the next pass is in sync and only reads.
  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(starts_with(line_for(again, "www.example.com"), "in sync: ")) << again.out;
  EXPECT_EQ(count_requests("GET"), static_cast<int>(requests().size())) << describe_requests();
}

INSTANTIATE_TEST_SUITE_P(Simulator, DriftRepair, ::testing::Values("replace", "refuse"));

// The line `sync` printed for one binding's target.
std::string binding_line(const ProcessResult& result, const std::string& binding) {
  for (const std::string& line : lines_of(result.out)) {
    if (line.find("binding '" + binding + "'") != std::string::npos) {
      return line;
    }
  }
  return "(no line for binding " + binding + ")";
}

// A domain holds one certificate per algorithm (issue 18): an RSA and an ECC lineage bound to
// one domain both stay in sync, pass after pass, with no write once bound, even where APIG
// refuses a second certificate of one algorithm.
TEST_F(SyncTest, RsaAndEccBindingsShareADomainAndStayInSync) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}),
            "refuse");
  write_certificate("site_rsa", certificate({"www.example.com"}, 90, KeyKind::Rsa2048));
  write_certificate("site_ecc", certificate({"www.example.com"}, 90, KeyKind::EcP256));
  add_binding("site_rsa", {{"g1", "www.example.com"}});
  add_binding("site_ecc", {{"g1", "www.example.com"}});
  const ProcessResult first = sync();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(starts_with(binding_line(first, "site_rsa"), "bound: ")) << first.out;
  EXPECT_TRUE(starts_with(binding_line(first, "site_ecc"), "bound: ")) << first.out;
  const json domain = sim_domain_state("www.example.com");
  EXPECT_EQ(domain["certificate_ids"].size(), 2U) << domain.dump();

  for (int pass = 0; pass < 2; ++pass) {
    clear_requests();
    const ProcessResult again = sync();
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_TRUE(starts_with(binding_line(again, "site_rsa"), "in sync: ")) << again.out;
    EXPECT_TRUE(starts_with(binding_line(again, "site_ecc"), "in sync: ")) << again.out;
    EXPECT_EQ(count_requests("GET"), static_cast<int>(requests().size())) << describe_requests();
  }
}

// APIG may answer an ECC bind without its ssl_id (apig-sim does): the state learns it by name
// from a later read of the group, the CNAME poll's or the next pass's, with no read of its own,
// and records the object as created by us (what cleanup deletes later).
TEST_F(SyncTest, AnEccBindLearnsItsSslIdFromALaterReadOfTheGroup) {
  for (const bool wait : {true, false}) {
    SCOPED_TRACE(wait ? "with the CNAME poll" : "--no-wait: the next pass");
    std::filesystem::remove_all(state_dir());
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
    write_certificate("site", certificate({"www.example.com"}, 90, KeyKind::EcP256));
    bindings_.clear();
    add_binding("site", {{"g1", "www.example.com"}});
    const ProcessResult first = wait ? sync() : sync({"--no-wait"});
    EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
    const std::string id = sim_domain_state("www.example.com")["certificate_id"];
    const auto recorded = [&] {
      return json::parse(read_file(state_file()))["targets"]["site/i1/g1/www.example.com"];
    };
    if (!wait) {
      EXPECT_FALSE(recorded().contains("ssl_id")) << recorded().dump();
      const ProcessResult again = sync({"--no-wait"});
      EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    }
    const json target = recorded();
    EXPECT_EQ(target["ssl_id"], id) << target.dump();
    ASSERT_EQ(target["created"].size(), 1U) << target.dump();
    EXPECT_EQ(target["created"][0]["ssl_id"], id);
  }
}

// Two bindings whose keys take the same slot of one domain would replace each other's
// certificate forever: neither is written, and both say why.
TEST_F(SyncTest, TwoBindingsOfOneAlgorithmOnADomainAreRefused) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("first", certificate({"www.example.com"}, 90, KeyKind::EcP256));
  write_certificate("second", certificate({"www.example.com"}, 90, KeyKind::EcP384));
  add_binding("first", {{"g1", "www.example.com"}});
  add_binding("second", {{"g1", "www.example.com"}});
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  for (const std::string binding : {"first", "second"}) {
    const std::string line = binding_line(result, binding);
    EXPECT_TRUE(starts_with(line, "failed: ")) << line;
    EXPECT_TRUE(contains(line, "bindings 'first', 'second' all hold an ECC key")) << line;
  }
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();
}

// A global certificate bound behind our back serves two domains; APIG refuses our bind on one
// of them (the slot is taken). It is detached from that domain, never deleted: its object and
// its other domain stay as they were.
TEST_F(SyncTest, AForeignGlobalCertificateIsDetachedNotDeleted) {
  const json certificates = json::array({{{"id", "0123456789abcdef0123456789abcdef"},
                                          {"name", "console_global"},
                                          {"san", {"www.example.com", "api.example.com"}},
                                          {"not_after", "2026-01-01T00:00:00Z"},
                                          {"type", "global"}}});
  json www = sim_domain("g1", "www.example.com");
  json api = sim_domain("g1", "api.example.com");
  www["certificate_id"] = api["certificate_id"] = "0123456789abcdef0123456789abcdef";
  start_sim(json::array({sim_group("g1", json::array({www, api}))}), "refuse", certificates);
  const TestChain ours = certificate({"www.example.com"}, 90);
  write_certificate("site", ours);
  add_binding("site", {{"g1", "www.example.com"}});

  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_TRUE(contains(line_for(dry, "www.example.com"),
                       "'console_global' is detached from the domain first; not ours"))
      << dry.out;
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(starts_with(line, "bound: ")) << line;
  EXPECT_TRUE(contains(line, "detaching certificate 0123456789abcdef0123456789abcdef")) << line;
  EXPECT_EQ(count_requests("DELETE"), 0) << describe_requests();
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"], sha256_fingerprint(ours.leaf));
  EXPECT_EQ(sim_domain_state("api.example.com")["certificate_id"],
            "0123456789abcdef0123456789abcdef");
  bool kept = false;
  for (const json& certificate : sim_certificates()) {
    kept = kept || certificate["id"] == "0123456789abcdef0123456789abcdef";
  }
  EXPECT_TRUE(kept) << "the global certificate object survives";
}

TEST_F(SyncTest, DriftIsOnlyReportedWhenConfiguredSo) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", certificate({"www.example.com"}, 90));
  add_binding("site", {{"g1", "www.example.com"}});
  drift_ = "report";
  ASSERT_EQ(sync().exit_code, 0);
  const TestChain foreign = certificate({"www.example.com"}, 30);
  bind_out_of_band("g1", "www.example.com", "console_cert", foreign);

  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string line = line_for(result, "www.example.com");
  EXPECT_TRUE(starts_with(line, "failed: ")) << line;
  EXPECT_TRUE(contains(line, "drift")) << line;
  EXPECT_TRUE(contains(line, "console_cert")) << line;
  EXPECT_EQ(count_requests("POST") + count_requests("PUT") + count_requests("DELETE"), 0)
      << describe_requests();
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(foreign.leaf));
}

// ---------------------------------------------------------------------------------------
// Scale: measured, not asserted (beyond success), so the numbers land in the test log.

TEST_F(SyncTest, HundredTargetsMeasured) {
  json groups = json::array();
  std::vector<SyncTarget> targets;
  for (int group = 1; group <= 20; ++group) {
    const std::string group_id = "g" + std::to_string(group);
    json domains = json::array();
    for (int index = 1; index <= 5; ++index) {
      const std::string domain =
          "h" + std::to_string(index) + group_id + ".example.com";  // id g1-h1g1
      domains.push_back(sim_domain(group_id, domain, {3}));
      targets.push_back({group_id, domain});
    }
    groups.push_back(sim_group(group_id, domains));
  }
  // A measurement, not a timing assertion: leave room for sanitizer builds on a busy machine
  // (under TSan the 100 binds alone can take longer than the suite's usual 5 s deadline).
  poll_timeout_ = "120s";
  start_sim(groups);
  write_certificate("fleet", certificate({"*.example.com"}));
  add_binding("fleet", targets);
  concurrency_ = 8;

  auto started = std::chrono::steady_clock::now();
  const ProcessResult first = sync();
  const auto first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(lines_of(first.out).size(), 100U);
  const auto first_requests = requests().size();
  EXPECT_EQ(count_requests("POST"), 100);

  clear_requests();
  started = std::chrono::steady_clock::now();
  const ProcessResult second = sync();
  const auto second_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  const auto second_requests = requests().size();

  RecordProperty("first_sync_ms", static_cast<int>(first_ms));
  RecordProperty("first_sync_requests", static_cast<int>(first_requests));
  RecordProperty("second_sync_ms", static_cast<int>(second_ms));
  RecordProperty("second_sync_requests", static_cast<int>(second_requests));
  std::cout << "[ measure  ] 100 targets (20 groups x 5 domains, concurrency 8): first sync "
            << first_ms << " ms, " << first_requests << " requests; second sync " << second_ms
            << " ms, " << second_requests << " requests\n";
}

}  // namespace
}  // namespace apig_certd::testing::sync_command_test
