#pragma once

// SyncTest: the fixture shared by the `apig-certd sync` integration tests
// (sync_command_test.cpp, sync_faults_test.cpp).
//
// Each test starts its own apig-sim over HTTPS (a server certificate issued at test time by a
// test CA that the daemon trusts through [apig] ca_file), writes a config and certificates
// into its TempDir, runs the real binary, and asserts on three things an operator could look
// at: the exit code and lines, the simulator's request log, and the simulator's state (which
// certificate each domain serves, by fingerprint). Timings are short (poll every 200 ms,
// retries from 100 ms to 500 ms, a 5 s pass deadline) so the suite stays fast, and every
// process is bounded by run_process()'s timeout.
//
// Every output of every run, the state directory and metrics files are scanned in TearDown for
// the secret key, the token and a line of each private key's base64: a leak fails whichever
// test caused it. They are also archived for the suite-wide scan (support/output_archive.h).

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/support/apig_sim_process.h"
#include "tests/support/output_archive.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::testing {

inline constexpr const char* kSyncProject = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kSyncInstance = "i1";
inline constexpr const char* kSyncAccessKey = "SYNCTESTACCESSKEY01";
inline constexpr const char* kSyncIamDomain = "sync-test-account";
inline constexpr const char* kSyncIamUser = "sync-test-user";
inline constexpr const char* kSyncPassword = "sync-test-iam-password-never-printed-5d2c";
inline constexpr const char* kSyncSecretKey = "sync-test-secret-key-never-printed-7f3a";
inline constexpr const char* kSyncToken = "sync-test-static-token-never-printed-2b9c";

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

// One domain of the simulator's seed. The id is the group id plus the domain's first label
// ("g1-www"), so tests can find it without reading the state.
inline nlohmann::json sim_domain(const std::string& group_id, const std::string& domain,
                                 std::vector<int> cname_sequence = {2, 3}) {
  return {{"id", group_id + "-" + domain.substr(0, domain.find('.'))},
          {"domain", domain},
          {"cname_status", 1},
          {"cname_sequence", std::move(cname_sequence)}};
}

inline nlohmann::json sim_group(const std::string& group_id, nlohmann::json domains) {
  return {{"id", group_id},
          {"name", "api_" + group_id},
          {"sl_domain", group_id + ".apic.sim.example"},
          {"domains", std::move(domains)}};
}

// One entry of the simulator's request log.
struct LoggedRequest {
  std::string method;
  std::string path;
  int status = -1;  // -1: the connection was reset
};

// A target of a binding in the config.
struct SyncTarget {
  std::string group_id;
  std::string domain;
};

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // httplib admin calls on a connection the simulator reset.
    const TestCa ca = TestCa::create("apig-certd sync test CA");
    const TestKey server_key = make_key(KeyKind::EcP256);
    ca_file_ = temp_dir_.write("ca.pem", ca.pem());
    server_certificate_ = temp_dir_.write(
        "server.pem", ca.issue({.ip_sans = {"127.0.0.1"}, .common_name = "127.0.0.1"}, server_key));
    server_key_ = temp_dir_.write("server.key", server_key.pem());
    temp_dir_.write("access_key", kSyncAccessKey);
    temp_dir_.write("secret_key", kSyncSecretKey);
    temp_dir_.write("token", kSyncToken);
    temp_dir_.write("password", kSyncPassword);
  }

  void TearDown() override {
    // The outputs, every file in the state directory (the state and any copy moved aside) and
    // every metrics textfile the test made.
    std::string everything = outputs_;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(temp_dir_.path(), error)) {
      const std::filesystem::path& file = entry.path();
      const bool in_state_dir = file.parent_path() == state_dir();
      if (entry.is_regular_file() && (in_state_dir || file.extension() == ".prom")) {
        everything += read_file(file);
      }
    }
    std::vector<std::string> secrets{kSyncSecretKey, kSyncToken, kSyncPassword};
    for (const KeyKind kind : {KeyKind::Rsa2048, KeyKind::EcP256}) {
      secrets.push_back(lines_of(shared_key(kind).pem()).at(1));
    }
    for (const std::string& secret : secrets) {
      EXPECT_EQ(everything.find(secret), std::string::npos)
          << "a secret leaked into an output or the state file: " << secret.substr(0, 12);
    }
    // And for the suite-wide scan (tests/secrets/scan_outputs.py), against every test's canaries.
    archive_outputs(everything);
    archive_canaries(secrets);
  }

  // Starts apig-sim with these groups (in instance kSyncInstance) and seeded certificate
  // objects (apig-sim's seed format: id, name, san, not_after, type, ...).
  void start_sim(const nlohmann::json& groups, const std::string& second_bind = "replace",
                 const nlohmann::json& certificates = nlohmann::json::array()) {
    const nlohmann::json seed = {
        {"certificates", certificates},
        {"project_id", kSyncProject},
        {"second_bind", second_bind},
        {"credentials",
         {{"tokens", {kSyncToken}},
          {"aksk", nlohmann::json::array({{{"ak", kSyncAccessKey}, {"sk", kSyncSecretKey}}})},
          {"iam",
           {{"users", nlohmann::json::array({{{"domain", kSyncIamDomain},
                                              {"user", kSyncIamUser},
                                              {"password", kSyncPassword}}})}}}}},
        {"instances", nlohmann::json::array({{{"id", kSyncInstance}, {"groups", groups}}})},
    };
    SimOptions options;
    options.binary = APIG_SIM_BINARY;
    options.seed = temp_dir_.write("seed.json", seed.dump());
    options.tls_certificate = server_certificate_;
    options.tls_key = server_key_;
    if (sim_tls_listener_) {
      options.tls_port = 0;
    }
    options.extra_arguments = sim_arguments_;
    sim_ = SimProcess::start(options);
    ASSERT_NE(sim_, nullptr);
  }

  // Writes the binding's lineage directory (fullchain.pem, privkey.pem) under the temp dir.
  void write_certificate(const std::string& binding, const TestChain& chain) {
    write_lineage(temp_dir_, binding, chain.fullchain(), chain.key.pem());
  }

  // Adds a [[binding]] whose lineage is temp_dir/NAME. `extra` goes into the binding table.
  void add_binding(const std::string& name, const std::vector<SyncTarget>& targets,
                   const std::string& extra = "") {
    bindings_ += "\n[[binding]]\nname = \"" + name + "\"\nlineage = \"" +
                 (temp_dir_.path() / name).string() + "\"\n" + extra;
    for (const SyncTarget& target : targets) {
      bindings_ += "  [[binding.target]]\n  instance_id = \"" + std::string(kSyncInstance) +
                   "\"\n  group_id = \"" + target.group_id + "\"\n  domain = \"" + target.domain +
                   "\"\n" + target_extra_[target.domain];
    }
  }

  std::filesystem::path write_config() const {
    const std::string config =
        "[daemon]\nstate_dir = \"" + state_dir().string() +
        "\"\nconcurrency = " + std::to_string(concurrency_) + "\ndrift = \"" + drift_ +
        "\"\nrenew_warning = \"" + renew_warning_ + "\"\n" + daemon_extra_ +
        "\n"
        "[apig]\nendpoint = \"" +
        (endpoint_.empty() ? sim_->url() : endpoint_) + "\"\nproject_id = \"" + kSyncProject +
        "\"\nca_file = \"" + ca_file_.string() + "\"\ntimeout = \"" + apig_timeout_ + "\"\n\n" +
        auth_section() + "\n[poll]\ninterval = \"200ms\"\ntimeout = \"" + poll_timeout_ +
        "\"\n\n[retry]\ninitial = \"100ms\"\nmax = \"500ms\"\n" + bindings_;
    return temp_dir_.write("config.toml", config);
  }

  std::string auth_section() const {
    const std::string dir = temp_dir_.path().string();
    if (use_token_) {
      return "[auth]\nmethod = \"token\"\ntoken_file = \"" + dir + "/token\"\n";
    }
    if (use_password_) {
      return "[auth]\nmethod = \"password\"\niam_endpoint = \"" + sim_->url() + "\"\ndomain = \"" +
             kSyncIamDomain + "\"\nuser = \"" + kSyncIamUser + "\"\npassword_file = \"" + dir +
             "/password\"\n";
    }
    return "[auth]\nmethod = \"aksk\"\naccess_key_file = \"" + dir +
           "/access_key\"\nsecret_key_file = \"" + dir + "/secret_key\"\n";
  }

  // Runs `apig-certd sync --config CONFIG ARGUMENTS...` with the current config.
  ProcessResult sync(const std::vector<std::string>& arguments = {}) {
    ProcessResult result = run_sync(write_config(), arguments);
    outputs_ += result.out + result.err;
    return result;
  }

  // The same with a config written beforehand: safe to call from several threads at once
  // (the caller adds the outputs to outputs_ afterwards).
  static ProcessResult run_sync(const std::filesystem::path& config,
                                const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{APIG_CERTD_BINARY, "sync", "--config", config.string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProcessOptions options;
    options.environment = {{"APIG_CERTD_CONFIG", ""}, {"JOURNAL_STREAM", ""}};
    ProcessResult result = run_process(argv, options);
    EXPECT_FALSE(result.timed_out) << result.out << result.err;
    return result;
  }

  // The stdout line about `domain`, or a marker that names what is missing.
  static std::string line_for(const ProcessResult& result, const std::string& domain) {
    for (const std::string& line : lines_of(result.out)) {
      if (line.find("-> " + domain + " ") != std::string::npos) {
        return line;
      }
    }
    return "(no line for " + domain + ")";
  }

  std::filesystem::path state_dir() const { return temp_dir_.path() / "state"; }
  std::filesystem::path state_file() const { return state_dir() / "state.json"; }

  // --- the simulator's admin API ---

  // A client for the simulator's admin API (and out-of-band API calls), trusting the test CA.
  std::unique_ptr<httplib::Client> admin() const {
    auto client = std::make_unique<httplib::Client>(sim_->url());
    client->set_ca_cert_path(ca_file_.string());
    client->set_read_timeout(10, 0);
    return client;
  }

  nlohmann::json admin_get(const std::string& path) const {
    const auto result = admin()->Get(path.c_str());
    EXPECT_TRUE(result) << path;
    return result ? nlohmann::json::parse(result->body, nullptr, false) : nlohmann::json();
  }

  void add_fault(const nlohmann::json& rule) const {
    const auto result = admin()->Post("/__admin/faults", rule.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 201) << result->body;
  }

  void clear_faults() const {
    const auto result = admin()->Delete("/__admin/faults");
    ASSERT_TRUE(result);
    ASSERT_LT(result->status, 300) << result->body;
  }

  void set_second_bind(const std::string& behaviour) const {
    const auto result = admin()->Post(
        "/__admin/config", nlohmann::json{{"second_bind", behaviour}}.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
  }

  // The simulator's TLS listener keeps serving these domains what is bound to them now
  // (/__admin/config "tls_frozen"); an empty list thaws them.
  void freeze_tls(const std::vector<std::string>& domains) const {
    const auto result = admin()->Post(
        "/__admin/config", nlohmann::json{{"tls_frozen", domains}}.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
  }

  void clear_requests() const {
    const auto result = admin()->Delete("/__admin/requests");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 204);
  }

  std::vector<LoggedRequest> requests() const {
    std::vector<LoggedRequest> logged;
    const nlohmann::json log = admin_get("/__admin/requests");
    for (const nlohmann::json& entry : log.value("requests", nlohmann::json::array())) {
      LoggedRequest request;
      request.method = entry.value("method", "");
      request.path = entry.value("path", "");
      if (entry.contains("status") && entry["status"].is_number_integer()) {
        request.status = entry["status"].get<int>();
      }
      logged.push_back(std::move(request));
    }
    return logged;
  }

  // How many logged requests have this method and a path containing `path_part`.
  int count_requests(const std::string& method, const std::string& path_part = "") const {
    int count = 0;
    for (const LoggedRequest& request : requests()) {
      if (request.method == method && request.path.find(path_part) != std::string::npos) {
        ++count;
      }
    }
    return count;
  }

  // "GET .../api-groups/g1 200", one per request, for failure messages.
  std::string describe_requests() const {
    std::string text;
    for (const LoggedRequest& request : requests()) {
      text += request.method + " " + request.path + " " + std::to_string(request.status) + "\n";
    }
    return text;
  }

  // The simulator's view of a domain (state: id, domain, cname_status, certificate_id, ...).
  nlohmann::json sim_domain_state(const std::string& domain) const {
    const nlohmann::json state = admin_get("/__admin/state");
    for (const nlohmann::json& instance : state["instances"]) {
      for (const nlohmann::json& group : instance["groups"]) {
        for (const nlohmann::json& entry : group["domains"]) {
          if (entry["domain"] == domain) {
            return entry;
          }
        }
      }
    }
    ADD_FAILURE() << "the simulator has no domain " << domain;
    return {};
  }

  nlohmann::json sim_certificates() const { return admin_get("/__admin/state")["certificates"]; }

  // The certificate object bound to `domain` in the simulator (null when none).
  nlohmann::json sim_bound_certificate(const std::string& domain) const {
    const nlohmann::json entry = sim_domain_state(domain);
    const std::string id = entry.contains("certificate_id") && entry["certificate_id"].is_string()
                               ? entry["certificate_id"].get<std::string>()
                               : "";
    for (const nlohmann::json& certificate : sim_certificates()) {
      if (!id.empty() && certificate["id"] == id) {
        return certificate;
      }
    }
    return nullptr;
  }

  // Every simulated domain -> the fingerprint of the certificate bound to it ("" for none),
  // from one read of the simulator's state (sim_bound_certificate() reads it twice a domain).
  std::map<std::string, std::string> sim_served_fingerprints() const {
    const nlohmann::json state = admin_get("/__admin/state");
    std::map<std::string, std::string> fingerprint_by_id;
    for (const nlohmann::json& certificate : state["certificates"]) {
      fingerprint_by_id[certificate.value("id", "")] = certificate.value("fingerprint", "");
    }
    std::map<std::string, std::string> served;
    for (const nlohmann::json& instance : state["instances"]) {
      for (const nlohmann::json& group : instance["groups"]) {
        for (const nlohmann::json& entry : group["domains"]) {
          const nlohmann::json& id = entry["certificate_id"];
          served[entry.value("domain", "")] =
              id.is_string() ? fingerprint_by_id[id.get<std::string>()] : "";
        }
      }
    }
    return served;
  }

  // Binds `chain` to a domain behind apig-certd's back, as a console user would, with the
  // token credential and the simulator's current second-bind behaviour.
  void bind_out_of_band(const std::string& group_id, const std::string& domain,
                        const std::string& name, const TestChain& chain) const {
    const std::string domain_id = group_id + "-" + domain.substr(0, domain.find('.'));
    const std::string path = "/v2/" + std::string(kSyncProject) + "/apigw/instances/" +
                             kSyncInstance + "/api-groups/" + group_id + "/domains/" + domain_id +
                             "/certificate";
    const nlohmann::json body = {
        {"name", name}, {"cert_content", chain.fullchain()}, {"private_key", chain.key.pem()}};
    const auto result = admin()->Post(path.c_str(), {{"X-Auth-Token", kSyncToken}}, body.dump(),
                                      "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 201) << result->body;
  }

  TempDir temp_dir_;
  std::filesystem::path ca_file_;
  std::filesystem::path server_certificate_;
  std::filesystem::path server_key_;
  std::unique_ptr<SimProcess> sim_;
  std::string bindings_;
  // Config knobs, read by write_config() at every run.
  std::string drift_ = "repair";
  std::string poll_timeout_ = "5s";
  std::string apig_timeout_ = "5s";
  int concurrency_ = 4;
  bool use_token_ = false;
  bool use_password_ = false;  // [auth] method = "password", IAM at the simulator
  std::string endpoint_;       // [apig] endpoint instead of the simulator's URL
  std::string renew_warning_ = "7d";
  std::string daemon_extra_;                // more lines for [daemon] (e.g. debounce for `run`)
  std::vector<std::string> sim_arguments_;  // more apig-sim arguments for start_sim()
  bool sim_tls_listener_ = false;           // start_sim() with --tls-port 0 (sim_->tls_port())
  // More lines for a target's table, by domain (e.g. "  verify = true\n").
  std::map<std::string, std::string> target_extra_;
  std::string outputs_;  // Everything every run printed, scanned for secrets in TearDown.
};

}  // namespace apig_certd::testing
