// The fault matrix (issue 7): the real apig-certd binary against apig-sim, one row per fault
// that real clouds, disks and ACME clients produce. Each row injects its fault, runs `sync`,
// and checks the exit code and that the output explains the fault. Then, for every row, what
// must hold afterwards: the state file (if any) parses and never holds a secret, and, once
// the fault is gone, one more `sync` ends with the target bound to the right certificate,
// written at most `max_binds` times in all (1 for every fault where apig-certd can know the
// bind did not land). Rows whose fault cannot be healed (a CNAME that never resolves) check
// the bound certificate after the faulty run instead.
//
// Daemon-only faults live beside it: config made invalid before SIGHUP is
// RunServiceTest.InvalidConfigOnReloadKeepsTheOldOne; SIGKILL during renewals is the
// KilledDaemon test at the end of this file.

#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/integration/run_fixture.h"
#include "tests/integration/sync_fixture.h"
#include "tests/support/closed_port.h"
#include "tests/support/test_certs.h"

namespace apig_certd::testing::fault_matrix_test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kDomain = "www.example.com";

// A tmpfs mounted over a directory for the disk rows (needs CAP_SYS_ADMIN; rows skip without).
class ScopedTmpfs {
 public:
  ScopedTmpfs(std::filesystem::path directory, std::size_t bytes, bool read_only)
      : directory_(std::move(directory)) {
    std::filesystem::create_directories(directory_);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    const unsigned long flags = read_only ? static_cast<unsigned long>(MS_RDONLY) : 0UL;
    mounted_ = ::mount("tmpfs", directory_.c_str(), "tmpfs", flags, options.c_str()) == 0;
  }
  ~ScopedTmpfs() {
    if (mounted_) {
      ::umount2(directory_.c_str(), MNT_DETACH);
    }
  }
  ScopedTmpfs(const ScopedTmpfs&) = delete;
  ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;
  ScopedTmpfs(ScopedTmpfs&&) = delete;
  ScopedTmpfs& operator=(ScopedTmpfs&&) = delete;

  bool mounted() const { return mounted_; }
  bool remount_writable() const {
    return ::mount("tmpfs", directory_.c_str(), "tmpfs", MS_REMOUNT, nullptr) == 0;
  }

 private:
  std::filesystem::path directory_;
  bool mounted_ = false;
};

class FaultMatrixTest;

struct FaultRow {
  std::string name;
  // Sets the fault up before the faulty run: simulator rules, config knobs, files, mounts.
  std::function<void(FaultMatrixTest&)> inject;
  int exit_code = 1;
  std::string explained;           // Appears in what the faulty run printed.
  bool bound_after_fault = false;  // The new certificate is bound when the faulty run ends.
  int max_binds = 1;               // Successful binds over both runs.
  bool healable = true;            // false: no second run (the fault is the simulator's model).
  std::vector<int> cname_sequence = {2, 3};
  // More a row checks right after the faulty run (e.g. how often it authenticated).
  std::function<void(const FaultMatrixTest&)> check = nullptr;
  std::string binding_extra{};  // more lines for the binding (e.g. strategy = "attach")
};

// gtest prints a row by its name, not its bytes.
void PrintTo(const FaultRow& row, std::ostream* out) {
  *out << row.name;
}

class FaultMatrixTest : public SyncTest, public ::testing::WithParamInterface<FaultRow> {
 public:
  // The rows' set-up functions use the fixture's knobs and helpers.
  using SyncTest::add_fault;
  using SyncTest::apig_timeout_;
  using SyncTest::bind_out_of_band;
  using SyncTest::count_requests;
  using SyncTest::describe_requests;
  using SyncTest::endpoint_;
  using SyncTest::poll_timeout_;
  using SyncTest::set_second_bind;
  using SyncTest::sim_;
  using SyncTest::state_dir;
  using SyncTest::temp_dir_;
  using SyncTest::use_password_;
  using SyncTest::write_certificate;

  // Starts the simulator with g1/kDomain, whose CNAME status goes through `cname_sequence`
  // after a bind.
  void start(const std::vector<int>& cname_sequence, const std::string& second_bind) {
    start_sim(
        json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, cname_sequence)}))}),
        second_bind);
  }

  // Restarts the simulator on the same port with its seed (its state is lost, as on a real
  // restart of a stateless front end that reads a fresh backend).
  void restart_sim() {
    const int port = sim_->port();
    sim_->stop();
    SimOptions options;
    options.binary = APIG_SIM_BINARY;
    options.seed = temp_dir_.path() / "seed.json";
    options.tls_certificate = server_certificate_;
    options.tls_key = server_key_;
    options.extra_arguments = {"--listen", "127.0.0.1:" + std::to_string(port)};
    sim_ = SimProcess::start(options);
    ASSERT_NE(sim_, nullptr);
  }

  // Successful binds the simulator logged (one-step binds, and attaches of strategy "attach").
  int successful_binds() const {
    int count = 0;
    for (const LoggedRequest& request : requests()) {
      const bool bind = request.status == 201 && request.path.ends_with("/certificate");
      const bool attach = request.status == 204 && request.path.ends_with("/certificates/attach");
      if (request.method == "POST" && (bind || attach)) {
        ++count;
      }
    }
    return count;
  }

  void expect_state_parses() const {
    if (!std::filesystem::exists(state_file())) {
      return;
    }
    const json state = json::parse(read_file(state_file()), nullptr, false);
    EXPECT_FALSE(state.is_discarded()) << "the state file does not parse:\n"
                                       << read_file(state_file());
  }

  const TestChain fresh_ = make_chain({.sans = {kDomain}, .serial = 4242});
  std::unique_ptr<ScopedTmpfs> mount_;
  std::function<void(FaultMatrixTest&)> heal_;    // Extra healing a row needs.
  std::function<void(FaultMatrixTest&)> during_;  // Runs beside the faulty sync.
};

TEST_P(FaultMatrixTest, IsExplainedAndLeavesTheTargetBoundOnce) {
  const FaultRow& row = GetParam();
  start(row.cname_sequence, "replace");
  write_certificate("site", fresh_);
  add_binding("site", {{"g1", kDomain}}, row.binding_extra);
  row.inject(*this);
  if (IsSkipped()) {
    return;
  }
  clear_requests();  // Only apig-certd's requests count (a row may bind out of band).
  const std::string fingerprint = sha256_fingerprint(fresh_.leaf);

  ProcessResult faulty;
  if (during_) {
    std::thread beside([this] { during_(*this); });
    faulty = sync();
    beside.join();
  } else {
    faulty = sync();
  }
  const std::string printed = faulty.out + faulty.err;
  EXPECT_EQ(faulty.exit_code, row.exit_code) << printed << describe_requests();
  EXPECT_NE(printed.find(row.explained), std::string::npos)
      << "expected the output to explain the fault with \"" << row.explained << "\":\n"
      << printed;
  expect_state_parses();
  if (row.check) {
    row.check(*this);
  }
  const nlohmann::json bound = sim_bound_certificate(kDomain);
  const std::string bound_fingerprint = bound.is_object() ? bound.value("fingerprint", "") : "";
  EXPECT_EQ(bound_fingerprint == fingerprint, row.bound_after_fault) << describe_requests();

  if (row.healable) {
    clear_faults();
    endpoint_.clear();
    apig_timeout_ = "5s";
    if (heal_) {
      heal_(*this);
    }
    const ProcessResult healed = sync();
    EXPECT_EQ(healed.exit_code, 0) << healed.out << healed.err << describe_requests();
    const nlohmann::json now = sim_bound_certificate(kDomain);
    EXPECT_EQ(now.is_object() ? now.value("fingerprint", "") : "", fingerprint)
        << describe_requests();
    expect_state_parses();
    ASSERT_TRUE(std::filesystem::exists(state_file()));
    EXPECT_NE(read_file(state_file()).find(fingerprint), std::string::npos);
  }
  EXPECT_LE(successful_binds(), row.max_binds) << describe_requests();
  EXPECT_GE(successful_binds(), row.bound_after_fault || row.healable ? 1 : 0)
      << describe_requests();
}

// A rule for every request of `method` whose path matches `path_regex`, `count` times.
json rule(const std::string& method, const std::string& path_regex, json fields, int count = 1) {
  fields["method"] = method;
  fields["path_regex"] = path_regex;
  fields["count"] = count;
  return fields;
}

constexpr const char* kBindPath = "/certificate$";
constexpr const char* kGroupPath = "/api-groups/g1$";

// A row whose fault is one simulator rule that the retries of the same run get past.
FaultRow retried_past(std::string name, json fault) {
  return {.name = std::move(name),
          .inject = [fault = std::move(fault)](FaultMatrixTest& t) { t.add_fault(fault); },
          .exit_code = 0,
          .explained = "bound:",
          .bound_after_fault = true};
}

// A row whose fault is one simulator rule that fails the run, explained by `explained`.
FaultRow failed_by(std::string name, json fault, std::string explained) {
  return {.name = std::move(name),
          .inject = [fault = std::move(fault)](FaultMatrixTest& t) { t.add_fault(fault); },
          .explained = std::move(explained)};
}

std::vector<FaultRow> rows() {
  std::vector<FaultRow> table;
  auto add = [&table](FaultRow row) { table.push_back(std::move(row)); };

  // --- the API answers, badly ---
  add(retried_past("ServerError500ThreeTimesThenSuccess",
                   rule("POST", kBindPath, {{"status", 500}}, 3)));
  add(retried_past("Apig9008AtHttp500",
                   rule("POST", kBindPath,
                        {{"status", 500},
                         {"body", R"({"error_code":"APIG.9008","error_msg":"Too many requests"})"}},
                        2)));
  add(retried_past(
      "Throttled429WithRetryAfter",
      rule("POST", kBindPath, {{"status", 429}, {"headers", {{"Retry-After", "1"}}}})));
  add(retried_past("Throttled429WithoutRetryAfter", rule("POST", kBindPath, {{"status", 429}}, 2)));
  add(failed_by(
      "MalformedJson",
      rule("GET", kGroupPath, {{"status", 200}, {"body", R"({"id": "g1", "url_doma)"}}, -1),
      "JSON"));
  add(failed_by("ValidJsonWithAWrongFieldType",
                rule("GET", kGroupPath,
                     {{"status", 200},
                      {"body", R"({"id":"g1","name":"g1","url_domains":"www.example.com"})"}},
                     -1),
                "url_domains"));
  add(failed_by("FiftyMebibyteResponse",
                rule("GET", kGroupPath, {{"status", 200}, {"body_bytes", 50 << 20}}, -1),
                "larger than"));
  // strategy = "attach": a create that fails is looked up before it is sent again, an attach
  // whose outcome is unknown re-reads the group first; either way one object, one attach.
  FaultRow create_failed = retried_past("AttachCreateOfTheObjectFailsWith503",
                                        rule("POST", "/apigw/certificates$", {{"status", 503}}));
  create_failed.binding_extra = "strategy = \"attach\"\n";
  create_failed.check = [](const FaultMatrixTest& t) {
    EXPECT_EQ(t.count_requests("GET", "/apigw/certificates"), 1) << t.describe_requests();
    EXPECT_EQ(t.count_requests("POST", "/apigw/certificates"), 2) << t.describe_requests();
  };
  add(create_failed);
  FaultRow attach_failed = retried_past(
      "AttachAnsweredWith500Twice", rule("POST", "/certificates/attach$", {{"status", 500}}, 2));
  attach_failed.binding_extra = "strategy = \"attach\"\n";
  add(attach_failed);
  add({.name = "BindRefusedWith2051OnADomainThatHasACertificate",
       .inject =
           [](FaultMatrixTest& t) {
             t.bind_out_of_band("g1", kDomain, "console_cert",
                                make_chain({.sans = {kDomain}, .serial = 4243}));
             t.set_second_bind("refuse");
           },
       .exit_code = 0,
       .explained = "bound:",
       .bound_after_fault = true});

  // --- authentication ---
  add({.name = "ExpiredTokenIsRefreshedOnceThenSucceeds",
       .inject =
           [](FaultMatrixTest& t) {
             t.use_password_ = true;
             t.add_fault(
                 rule("GET", kGroupPath,
                      {{"status", 401},
                       {"body", R"({"error_code":"APIG.1001","error_msg":"Token expired"})"}}));
           },
       .exit_code = 0,
       .explained = "bound:",
       .bound_after_fault = true,
       .check =
           [](const FaultMatrixTest& t) {
             EXPECT_EQ(t.count_requests("POST", "/v3/auth/tokens"), 2) << t.describe_requests();
           }});
  add({.name = "UnauthorizedThatPersistsStopsAndExplains",
       .inject =
           [](FaultMatrixTest& t) {
             t.use_password_ = true;
             t.add_fault(
                 rule("GET", kGroupPath,
                      {{"status", 401},
                       {"body", R"({"error_code":"APIG.1001","error_msg":"Token expired"})"}},
                      -1));
           },
       .explained = "APIG.1001",
       // A token at start, one refresh after the first 401, and no more.
       .check =
           [](const FaultMatrixTest& t) {
             EXPECT_EQ(t.count_requests("POST", "/v3/auth/tokens"), 2) << t.describe_requests();
             EXPECT_EQ(t.count_requests("POST", "/certificate"), 0);
           }});
  add(failed_by(
      "SignatureRejectedApigw0301",
      rule(
          "GET", kGroupPath,
          {{"status", 401},
           {"body",
            R"({"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"})"}},
          -1),
      "APIGW.0301"));

  // --- the network ---
  add({.name = "ConnectionRefused",
       .inject =
           [](FaultMatrixTest& t) {
             t.endpoint_ = "https://127.0.0.1:" + std::to_string(closed_port());
           },
       .explained = "onnect"});
  add(retried_past("ConnectionResetMidResponse",
                   rule("POST", kBindPath, {{"action", "reset"}}, 2)));
  add({.name = "ServerThatHangs",
       .inject =
           [](FaultMatrixTest& t) {
             t.apig_timeout_ = "1s";
             t.poll_timeout_ = "2s";
             t.add_fault(rule("GET", kGroupPath, {{"action", "hang"}, {"delay_ms", 2500}}, -1));
           },
       .explained = "timed out"});
  add({.name = "SlowResponseJustUnderTheTimeout",
       .inject =
           [](FaultMatrixTest& t) {
             t.apig_timeout_ = "2s";
             t.add_fault(rule("POST", kBindPath, {{"delay_ms", 1500}}));
           },
       .exit_code = 0,
       .explained = "bound:",
       .bound_after_fault = true});
  // The bind lands after the client gave up: the re-read usually sees it (one write), but a
  // re-read that beats the late landing sends the same certificate again.
  add({.name = "SlowResponseJustOverTheTimeout",
       .inject =
           [](FaultMatrixTest& t) {
             t.apig_timeout_ = "1s";
             t.add_fault(rule("POST", kBindPath, {{"delay_ms", 1300}}));
           },
       .exit_code = 0,
       .explained = "bound:",
       .bound_after_fault = true,
       .max_binds = 2});
  add({.name = "TlsCertificateDoesNotMatchTheHost",
       .inject =
           [](FaultMatrixTest& t) {
             // The simulator's certificate names 127.0.0.1 only.
             t.endpoint_ = "https://localhost:" + std::to_string(t.sim_->port());
           },
       .explained = "localhost"});
  add({.name = "DnsFailureForTheEndpoint",
       .inject =
           [](FaultMatrixTest& t) {
             t.apig_timeout_ = "2s";
             t.poll_timeout_ = "2s";
             t.endpoint_ =
                 "https://apig-certd-fault-test.invalid:" + std::to_string(t.sim_->port());
           },
       .explained = "resolv"});
  add({.name = "SimulatorRestartedMidPoll",
       .inject =
           [](FaultMatrixTest& t) {
             t.poll_timeout_ = "20s";
             t.during_ = [](FaultMatrixTest& test) {
               // Once the bind landed, restart the simulator while the CNAME is polled.
               const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
               while (test.successful_binds() == 0 && std::chrono::steady_clock::now() < deadline) {
                 std::this_thread::sleep_for(milliseconds(20));
               }
               test.restart_sim();
             };
           },
       .explained = "the domain stopped serving it (it now serves no certificate)",
       .cname_sequence = {1, 1, 1, 1, 1, 2, 3}});

  // --- CNAME resolution (the bind itself worked) ---
  add({.name = "CnameStuckAtTwo",
       .inject = [](FaultMatrixTest& t) { t.poll_timeout_ = "1s"; },
       .explained = "CNAME still resolving after 1s",
       .bound_after_fault = true,
       .healable = false,
       .cname_sequence = {2}});
  add({.name = "CnameFailedWithFour",
       .inject = [](FaultMatrixTest& t) { t.poll_timeout_ = "3s"; },
       .explained = "CNAME resolution failed",
       .bound_after_fault = true,
       .healable = false,
       .cname_sequence = {2, 4}});

  // --- the disk ---
  add({.name = "StateDirectoryReadOnly",
       .inject =
           [](FaultMatrixTest& t) {
             t.mount_ = std::make_unique<ScopedTmpfs>(t.state_dir(), 1 << 20, true);
             if (!t.mount_->mounted()) {
               GTEST_SKIP() << "mounting a tmpfs needs CAP_SYS_ADMIN";
             }
             t.heal_ = [](FaultMatrixTest& test) { ASSERT_TRUE(test.mount_->remount_writable()); };
           },
       .explained = "state/lock': open: Read-only file system"});
  add({.name = "DiskFullWhileWritingState",
       .inject =
           [](FaultMatrixTest& t) {
             t.mount_ = std::make_unique<ScopedTmpfs>(t.state_dir(), 64 << 10, false);
             if (!t.mount_->mounted()) {
               GTEST_SKIP() << "mounting a tmpfs needs CAP_SYS_ADMIN";
             }
             // Fill it: the lock file (empty) can still be made, state.json cannot.
             {
               std::ofstream filler(t.state_dir() / "filler", std::ios::binary);
               const std::string block(4096, 'x');
               while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
               }
             }
             t.heal_ = [](FaultMatrixTest& test) {
               std::filesystem::remove(test.state_dir() / "filler");
             };
           },
       .explained = "No space left on device",
       .bound_after_fault = true});
  add({.name = "CorruptStateFile",
       .inject =
           [](FaultMatrixTest& t) {
             std::filesystem::create_directories(t.state_dir());
             t.temp_dir_.write("state/state.json", "{\"version\": 1, \"targets\": [tru");
           },
       .exit_code = 0,
       .explained = "aside",
       .bound_after_fault = true});
  add({.name = "CertificateFileTruncatedMidWrite",
       .inject =
           [](FaultMatrixTest& t) {
             const std::string full = t.fresh_.fullchain();
             t.temp_dir_.write("site/fullchain.pem", full.substr(0, full.size() / 2));
             t.heal_ = [](FaultMatrixTest& test) { test.write_certificate("site", test.fresh_); };
           },
       .explained = "fullchain.pem"});
  add({.name = "KeyAndCertificateFromDifferentRenewals",
       .inject =
           [](FaultMatrixTest& t) {
             // The other renewal's key is of another kind, so it surely differs.
             const TestChain other =
                 make_chain({.sans = {kDomain}, .serial = 4244}, KeyKind::Rsa2048);
             t.temp_dir_.write("site/privkey.pem", other.key.pem());
             t.heal_ = [](FaultMatrixTest& test) { test.write_certificate("site", test.fresh_); };
           },
       .explained = "APIG.2101"});
  return table;
}

std::string row_name(const ::testing::TestParamInfo<FaultRow>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultMatrixTest, ::testing::ValuesIn(rows()), row_name);

// SIGKILL of the daemon at random points during 50 renewals, restarted each time: the state
// always parses and the target ends on the newest certificate.
class KilledDaemonTest : public RunTest {};

TEST_F(KilledDaemonTest, SigkillAtRandomPointsDuringFiftyRenewalsLosesNothing) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  add_binding("site", {{"g1", kDomain}});
  std::mt19937 random(20261128);
  std::uniform_int_distribution<int> pause_ms(0, 600);
  std::string newest;
  constexpr int kRenewals = 50;
  for (int renewal = 0; renewal < kRenewals; ++renewal) {
    const TestChain chain =
        make_chain({.sans = {kDomain}, .serial = 5000U + static_cast<std::uint64_t>(renewal)});
    newest = sha256_fingerprint(chain.leaf);
    write_certificate("site", chain);
    start_daemon();
    ASSERT_NE(daemon_, nullptr);
    std::this_thread::sleep_for(milliseconds(pause_ms(random)));
    daemon_->signal(SIGKILL);
    ASSERT_TRUE(daemon_->wait(milliseconds(5'000))) << "SIGKILLed daemon did not go";
    outputs_ += daemon_->stdout_text() + daemon_->stderr_text();
    daemon_.reset();
    if (std::filesystem::exists(state_file())) {
      const json state = json::parse(read_file(state_file()), nullptr, false);
      ASSERT_FALSE(state.is_discarded())
          << "after renewal " << renewal << " the state does not parse:\n"
          << read_file(state_file());
    }
  }
  start_daemon();
  wait_ready();
  EXPECT_TRUE(wait_bound(kDomain, newest, milliseconds(15'000))) << daemon_->stderr_text();
  // A renewal is written once (DESIGN §4.5): a bind that landed before the SIGKILL is seen in
  // the remote by the next start (the name carries the fingerprint) and never posted again.
  std::map<std::string, int> binds_of_name;
  int binds = 0;
  for (const json& entry : admin_get("/__admin/requests").value("requests", json::array())) {
    if (entry.value("method", "") == "POST" && entry.value("status", 0) == 201) {
      const json& body = entry["body"];
      ++binds_of_name[body.is_object() ? body.value("name", "") : ""];
      ++binds;
    }
  }
  for (const auto& [name, count] : binds_of_name) {
    EXPECT_EQ(count, 1) << "certificate '" << name << "' was bound " << count << " times\n"
                        << describe_requests();
  }
  EXPECT_GE(binds, 1);
  std::cout << "[ KILLED   ] " << kRenewals << " renewals, " << binds
            << " successful binds, the newest bound\n";
}

}  // namespace
}  // namespace apig_certd::testing::fault_matrix_test
