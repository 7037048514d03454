// `apig-certd status` after real sync runs against apig-sim: what it shows, its exit codes,
// the --json schema, and that it only reads (no lock, no new files, no key files opened).

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::status_command_test {
namespace {

using nlohmann::json;

class StatusTest : public SyncTest {
 protected:
  ProcessResult status(const std::vector<std::string>& arguments = {}) {
    std::vector<std::string> argv{APIG_CERTD_BINARY, "status", "--config", write_config().string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProcessOptions options;
    options.environment = {{"APIG_CERTD_CONFIG", ""}};
    ProcessResult result = run_process(argv, options);
    outputs_ += result.out + result.err;
    return result;
  }

  TestChain chain_for(const std::string& domain) {
    return make_chain({.sans = {domain}}, KeyKind::EcP256);
  }
};

TEST_F(StatusTest, NeverSyncedTargetsFailAndSaySo) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", chain_for("www.example.com"));
  add_binding("site", {{"g1", "www.example.com"}});
  const ProcessResult result = status();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("no state yet"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("never synced: run 'apig-certd sync'"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state_dir()));  // status creates nothing.
}

TEST_F(StatusTest, ShowsWhatTheLastSyncBoundAndExitsZero) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  const TestChain chain = chain_for("www.example.com");
  write_certificate("site", chain);
  add_binding("site", {{"g1", "www.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);

  const ProcessResult text = status();
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("binding 'site' -> www.example.com (instance i1, group g1)"),
            std::string::npos)
      << text.out;
  const std::string fingerprint = sha256_fingerprint(chain.leaf);
  EXPECT_NE(text.out.find("on disk:  sha256 " + fingerprint.substr(0, 16)), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("bound:    'site_"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("CNAME:    resolved"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("last:     bound"), std::string::npos) << text.out;

  const ProcessResult machine = status({"--json"});
  EXPECT_EQ(machine.exit_code, 0);
  const json document = json::parse(machine.out, nullptr, false);
  ASSERT_TRUE(document.is_object()) << machine.out;
  EXPECT_EQ(document["version"], 1);
  ASSERT_EQ(document["targets"].size(), 1U);
  const json& target = document["targets"][0];
  EXPECT_EQ(target["binding"], "site");
  EXPECT_EQ(target["domain"], "www.example.com");
  EXPECT_EQ(target["domain_id"], "g1-www");
  EXPECT_EQ(target["in_config"], true);
  EXPECT_EQ(target["disk"]["sha256"], fingerprint);
  EXPECT_TRUE(target["disk"]["days_left"].is_number_integer());
  EXPECT_EQ(target["bound"]["sha256"], fingerprint);
  EXPECT_FALSE(target["bound"]["ssl_id"].get<std::string>().empty());
  EXPECT_TRUE(target["bound"]["at"].is_string());
  EXPECT_EQ(target["cname_status"], 3);
  EXPECT_EQ(target["cname"], "resolved");
  EXPECT_EQ(target["last_result"], "bound");
  EXPECT_TRUE(target["last_error"].is_null());
  EXPECT_EQ(target["consecutive_failures"], 0);
}

TEST_F(StatusTest, FailuresShowTheErrorAndTheNextAttempt) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", chain_for("www.example.com"));
  add_binding("site", {{"g1", "www.example.com"}});
  add_fault(
      {{"method", "POST"},
       {"count", 1},
       {"status", 400},
       {"body",
        R"({"error_code":"APIG.2012","error_msg":"Invalid parameter value,parameterName:name"})"}});
  ASSERT_EQ(sync().exit_code, 1);
  const ProcessResult text = status();
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("last:     failed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("error:    APIG.2012: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 in a row"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("next:     not before "), std::string::npos) << text.out;
  const json document = json::parse(status({"--json"}).out, nullptr, false);
  EXPECT_EQ(document["targets"][0]["last_error"]["code"], "APIG.2012");
  EXPECT_TRUE(document["targets"][0]["next_attempt"].is_string());
}

TEST_F(StatusTest, TargetsRemovedFromTheConfigAreMarked) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com"),
                                                      sim_domain("g1", "old.example.com")}))}));
  write_certificate("site",
                    make_chain({.sans = {"www.example.com", "old.example.com"}}, KeyKind::EcP256));
  add_binding("site", {{"g1", "www.example.com"}, {"g1", "old.example.com"}});
  ASSERT_EQ(sync().exit_code, 0);
  bindings_.clear();
  add_binding("site", {{"g1", "www.example.com"}});
  const ProcessResult text = status();
  EXPECT_EQ(text.exit_code, 0) << text.out;  // Only configured targets count.
  EXPECT_NE(text.out.find("old.example.com (instance i1, group g1) [no longer in the config]"),
            std::string::npos)
      << text.out;
}

TEST_F(StatusTest, CorruptStateIsReportedNotMoved) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com")}))}));
  write_certificate("site", chain_for("www.example.com"));
  add_binding("site", {{"g1", "www.example.com"}});
  std::filesystem::create_directories(state_dir());
  temp_dir_.write("state/state.json", "{ not json");
  const ProcessResult text = status();
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("is corrupt"), std::string::npos) << text.err;
  EXPECT_EQ(read_file(state_file()), "{ not json");  // Untouched: status only reads.
}

}  // namespace
}  // namespace apig_certd::testing::status_command_test
