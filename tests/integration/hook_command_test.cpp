// `apig-certd hook` against apig-sim: each ACME client's way of telling its deploy hook what
// it renewed (environment variables or arguments), the bindings it selects, and its exit
// codes, with the real binary.

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::hook_command_test {
namespace {

using nlohmann::json;

class HookTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    start_sim(
        json::array({sim_group("g1", json::array({sim_domain("g1", "www.example.com", {3}),
                                                  sim_domain("g1", "api.example.com", {3})}))}));
  }

  // `apig-certd --config CONFIG hook ARGUMENTS...` with these environment variables (and
  // every ACME client variable of the test's own environment unset).
  ProcessResult hook(const std::vector<std::string>& arguments,
                     std::map<std::string, std::string> environment = {}) {
    std::vector<std::string> argv{APIG_CERTD_BINARY, "--config", write_config().string(), "hook"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    for (const char* name : {"RENEWED_LINEAGE", "RENEWED_DOMAINS", "LEGO_CERT_PATH",
                             "LEGO_CERT_KEY_PATH", "LEGO_HOOK_CERT_PATH", "CERT_PATH",
                             "CERT_KEY_PATH", "Le_Domain", "APIG_CERTD_CONFIG", "JOURNAL_STREAM"}) {
      environment.emplace(name, "");
    }
    ProcessOptions options;
    options.environment = std::move(environment);
    ProcessResult result = run_process(argv, options);
    outputs_ += result.out + result.err;
    return result;
  }
};

TEST_F(HookTest, CertbotDeployHookSyncsTheRenewedLineage) {
  const TestChain chain = make_chain({.sans = {"www.example.com"}});
  const Lineage lineage = write_certbot_lineage(temp_dir_, "letsencrypt", "www", chain);
  bindings_ += "\n[[binding]]\nname = \"www\"\nlineage = \"" + lineage.directory.string() +
               "\"\n  [[binding.target]]\n  instance_id = \"i1\"\n  group_id = \"g1\"\n"
               "  domain = \"www.example.com\"\n";
  const TestChain api = make_chain({.sans = {"api.example.com"}});
  write_certificate("api", api);
  add_binding("api", {{"g1", "api.example.com"}});

  const ProcessResult result = hook({}, {{"RENEWED_LINEAGE", lineage.directory.string()},
                                         {"RENEWED_DOMAINS", "www.example.com"}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.err.find("apig-certd hook (certbot): "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("-> binding(s) 'www'"), std::string::npos) << result.err;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(chain.leaf));
  EXPECT_TRUE(sim_bound_certificate("api.example.com").is_null())
      << "only the renewed lineage is synced";

  // A renewal: new archive files, links re-pointed; the hook binds the new certificate.
  const TestChain renewed = make_chain({.sans = {"www.example.com"}, .serial = 99});
  write_certbot_lineage(temp_dir_, "letsencrypt", "www", renewed, 2);
  const ProcessResult again = hook({"certbot"}, {{"RENEWED_LINEAGE", lineage.directory.string()}});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(renewed.leaf));
}

TEST_F(HookTest, UnknownLineageIsANoticeAndExitZero) {
  write_certificate("api", make_chain({.sans = {"api.example.com"}}));
  add_binding("api", {{"g1", "api.example.com"}});
  clear_requests();
  const ProcessResult result =
      hook({}, {{"RENEWED_LINEAGE", (temp_dir_.path() / "letsencrypt/live/other").string()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("nothing to do"), std::string::npos) << result.err;
  EXPECT_EQ(requests().size(), 0U) << describe_requests();
}

TEST_F(HookTest, LegoRenewHookSyncsTheBindingOfItsFiles) {
  const TestChain www = make_chain({.sans = {"www.example.com"}});
  const TestChain api = make_chain({.sans = {"api.example.com"}});
  const std::filesystem::path certs = temp_dir_.path() / ".lego/certificates";
  temp_dir_.write(".lego/certificates/www.example.com.crt", www.fullchain());
  temp_dir_.write(".lego/certificates/www.example.com.key", www.key.pem());
  temp_dir_.write(".lego/certificates/api.example.com.crt", api.fullchain());
  temp_dir_.write(".lego/certificates/api.example.com.key", api.key.pem());
  for (const char* name : {"www", "api"}) {
    const std::string domain = std::string(name) + ".example.com";
    bindings_ += "\n[[binding]]\nname = \"" + std::string(name) + "\"\ncert = \"" +
                 (certs / (domain + ".crt")).string() + "\"\nkey = \"" +
                 (certs / (domain + ".key")).string() +
                 "\"\n  [[binding.target]]\n  instance_id = \"i1\"\n  group_id = \"g1\"\n"
                 "  domain = \"" +
                 domain + "\"\n";
  }
  const ProcessResult result =
      hook({"lego"}, {{"LEGO_CERT_PATH", (certs / "api.example.com.crt").string()},
                      {"LEGO_CERT_KEY_PATH", (certs / "api.example.com.key").string()},
                      {"LEGO_CERT_DOMAIN", "api.example.com"}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(sim_bound_certificate("api.example.com")["fingerprint"], sha256_fingerprint(api.leaf));
  EXPECT_TRUE(sim_bound_certificate("www.example.com").is_null());
}

TEST_F(HookTest, DehydratedDeployCertArgumentsAndOtherHandlers) {
  const TestChain chain = make_chain({.sans = {"www.example.com"}});
  write_certificate("www", chain);
  add_binding("www", {{"g1", "www.example.com"}});
  const std::filesystem::path dir = temp_dir_.path() / "www";
  clear_requests();
  const ProcessResult other = hook({"dehydrated", "deploy_challenge", "www.example.com", "t", "v"});
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(requests().size(), 0U);
  const ProcessResult deploy =
      hook({"deploy_cert", "www.example.com", (dir / "privkey.pem").string(),
            (dir / "cert.pem").string(), (dir / "fullchain.pem").string(),
            (dir / "chain.pem").string(), "1700000000"});
  EXPECT_EQ(deploy.exit_code, 0) << deploy.out << deploy.err;
  EXPECT_EQ(sim_bound_certificate("www.example.com")["fingerprint"],
            sha256_fingerprint(chain.leaf));
}

TEST_F(HookTest, FailureExitsOneWithTheReasonOnStderr) {
  write_certificate("www", make_chain({.sans = {"www.example.com"}}));
  add_binding("www", {{"g1", "www.example.com"}});
  add_fault({{"method", "POST"},
             {"status", 400},
             {"body", json{{"error_code", "APIG.2101"},
                           {"error_msg", "The certificate and private key do not match"}}
                          .dump()}});
  const ProcessResult result =
      hook({"acme.sh"}, {{"CERT_PATH", (temp_dir_.path() / "www/fullchain.pem").string()},
                         {"CERT_KEY_PATH", (temp_dir_.path() / "www/privkey.pem").string()},
                         {"Le_Domain", "www.example.com"}});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE((result.out + result.err).find("APIG.2101"), std::string::npos)
      << result.out << result.err;
}

TEST_F(HookTest, ClientThatCannotBeToldIsAUsageError) {
  add_binding("www", {{"g1", "www.example.com"}});
  const ProcessResult result = hook({});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("cannot tell which ACME client"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace apig_certd::testing::hook_command_test
