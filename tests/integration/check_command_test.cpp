// The `apig-certd check` and `version` commands as an operator runs them: the real binary,
// real config files, real certificates made with OpenSSL at test time, real exit codes.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/apig_sim_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::testing::check_command_test {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

constexpr const char* kSecretKey = "SK-integration-test-do-not-print-0123456789";
constexpr const char* kAccessKey = "AKINTEGRATIONTEST";

ProcessResult run_apig_certd(const std::vector<std::string>& arguments,
                             std::map<std::string, std::string> environment = {}) {
  std::vector<std::string> argv{APIG_CERTD_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  environment.emplace("APIG_CERTD_CONFIG", "");
  ProcessOptions options;
  options.environment = std::move(environment);
  return run_process(argv, options);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// Every bad config shipped under tests/data/configs/bad: exit 78, the position and the words.

std::vector<fs::path> bad_configs() {
  std::vector<fs::path> files;
  for (const auto& entry :
       fs::directory_iterator(fs::path(APIG_CERTD_SOURCE_DIR) / "tests/data/configs/bad")) {
    if (entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class CheckBadConfig : public ::testing::TestWithParam<fs::path> {};

TEST_P(CheckBadConfig, ExitsConfigErrorWithPositionAndMessage) {
  const fs::path& file = GetParam();
  std::ifstream in(file);
  std::string first_line;
  std::getline(in, first_line);
  const std::string marker = "# expect: ";
  ASSERT_TRUE(first_line.starts_with(marker)) << file;
  const std::string expectation = first_line.substr(marker.size());
  const auto colon = expectation.find(':', expectation.find(':') + 1);
  const std::string position = expectation.substr(0, colon);
  const std::string words = expectation.substr(colon + 2);

  const ProcessResult result = run_apig_certd({"check", "--config", file.string()});
  EXPECT_EQ(result.exit_code, 78) << result.err;
  EXPECT_NE(result.err.find(file.string() + ":" + position + ":"), std::string::npos)
      << "expected position " << position << " in:\n"
      << result.err;
  EXPECT_NE(result.err.find(words), std::string::npos) << "expected '" << words << "' in:\n"
                                                       << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;  // Nothing was checked.
}

std::string config_name(const ::testing::TestParamInfo<fs::path>& param_info) {
  return param_info.param.stem().string();
}

INSTANTIATE_TEST_SUITE_P(Files, CheckBadConfig, ::testing::ValuesIn(bad_configs()), config_name);

TEST(CheckBadConfig, ThereAreAtLeastThirty) {
  EXPECT_GE(bad_configs().size(), 30U);
}

// ---------------------------------------------------------------------------------------
// Certificates: one binding per scenario, one target each, one run of check.

class CheckCertificates : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_dir_.write("access_key", kAccessKey);
    temp_dir_.write("secret_key", kSecretKey);
    config_ = R"([daemon]
state_dir = "state"
renew_warning = "30d"

[apig]
project_id = "0123456789abcdef0123456789abcdef"

[auth]
method = "aksk"
access_key_file = "access_key"
secret_key_file = "secret_key"
)";
  }

  // Adds a binding with cert+key files written from the given PEM texts.
  void add_binding(const std::string& name, const std::string& domain, const std::string& cert_pem,
                   const std::string& key_pem) {
    const fs::path cert = temp_dir_.write(name + "/fullchain.pem", cert_pem,
                                          fs::perms::owner_read | fs::perms::owner_write);
    const fs::path key = temp_dir_.write(name + "/privkey.pem", key_pem,
                                         fs::perms::owner_read | fs::perms::owner_write);
    add_binding_paths(name, domain, cert.string(), key.string());
  }

  void add_binding_paths(const std::string& name, const std::string& domain,
                         const std::string& cert, const std::string& key) {
    config_ += "\n[[binding]]\nname = \"" + name + "\"\ncert = \"" + cert + "\"\nkey = \"" + key +
               "\"\n  [[binding.target]]\n  instance_id = \"i1\"\n  group_id = \"g" +
               std::to_string(++groups_) + "\"\n  domain = \"" + domain + "\"\n";
  }

  ProcessResult run_check() {
    const fs::path config = temp_dir_.write("config.toml", config_);
    return run_apig_certd({"check", "--config", config.string()});
  }

  // The line for binding `name`.
  static std::string line_for(const ProcessResult& result, const std::string& name) {
    for (const std::string& line : lines_of(result.out)) {
      if (line.find("binding '" + name + "'") != std::string::npos) {
        return line;
      }
    }
    return "(no line for binding '" + name + "')";
  }

  TempDir temp_dir_;
  std::string config_;
  int groups_ = 0;  // Each binding gets its own group: one domain, one binding.
};

TEST_F(CheckCertificates, GoodCertificatesAreOkOneLinePerTarget) {
  const TestChain rsa = make_chain({.sans = {"rsa.example.com"}}, KeyKind::Rsa2048);
  const TestChain ec = make_chain({.sans = {"*.example.org"}}, KeyKind::EcP256);
  const TestChain ec384 = make_chain({.sans = {"a.example.net", "b.example.net"}}, KeyKind::EcP384);
  add_binding("rsa", "rsa.example.com", rsa.fullchain(), rsa.key.pem());
  add_binding("ec_wildcard", "api.example.org", ec.fullchain(), ec.key.pem(KeyFormat::Traditional));
  add_binding("ec384", "b.example.net", ec384.fullchain(), ec384.key.pem());
  const ProcessResult result = run_check();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  ASSERT_EQ(lines_of(result.out).size(), 3U) << result.out;
  EXPECT_TRUE(
      line_for(result, "rsa")
          .starts_with("OK   binding 'rsa' -> rsa.example.com (group g1): certificate rsa_"))
      << result.out;
  EXPECT_NE(line_for(result, "rsa").find("RSA 2048"), std::string::npos);
  EXPECT_NE(line_for(result, "ec_wildcard").find("EC 256"), std::string::npos) << result.out;
  EXPECT_NE(line_for(result, "ec384").find("EC 384"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("check: 3 target(s), 3 OK, 0 problem(s)"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.out.find(kSecretKey), std::string::npos);
  EXPECT_EQ(result.err.find(kSecretKey), std::string::npos);
}

struct BadCertificate {
  const char* name;
  const char* expected;  // A substring of the FAIL line.
};

TEST_F(CheckCertificates, EveryFailingCheckIsExplainedOnItsOwnLine) {
  const TestChain good = make_chain({.sans = {"www.example.com"}}, KeyKind::Rsa2048);
  const TestKey other_key = make_key(KeyKind::Rsa2048);
  const TestChain expired = make_chain({.sans = {"www.example.com"},
                                        .not_before_offset = -hours(24 * 100),
                                        .not_after_offset = -hours(24)},
                                       KeyKind::EcP256);
  const TestChain future = make_chain({.sans = {"www.example.com"},
                                       .not_before_offset = hours(24),
                                       .not_after_offset = hours(24 * 90)},
                                      KeyKind::EcP256);
  const TestChain no_san = make_chain({.common_name = "www.example.com"}, KeyKind::EcP256);
  const TestChain after_2038 =
      make_chain({.sans = {"www.example.com"},
                  .not_after_absolute = SystemTime(std::chrono::seconds(2'147'483'648))},
                 KeyKind::EcP256);
  const TestKey weak = make_key(KeyKind::Rsa1024);
  const TestCa root = TestCa::create("Weak Root");
  const std::string weak_leaf = root.issue({.sans = {"www.example.com"}}, weak);

  add_binding("mismatch", "www.example.com", good.fullchain(), other_key.pem());
  add_binding("expired", "www.example.com", expired.fullchain(), expired.key.pem());
  add_binding("not_yet", "www.example.com", future.fullchain(), future.key.pem());
  add_binding("wrong_domain", "shop.example.com", good.fullchain(), good.key.pem());
  add_binding("no_san", "www.example.com", no_san.fullchain(), no_san.key.pem());
  add_binding("chain_order", "www.example.com", good.intermediate + good.leaf, good.key.pem());
  add_binding("encrypted", "www.example.com", good.fullchain(),
              good.key.pem(KeyFormat::EncryptedPkcs8));
  add_binding("der", "www.example.com", to_der(good.leaf), good.key.pem());
  add_binding("empty", "www.example.com", "", good.key.pem());
  add_binding("key_in_cert", "www.example.com", good.fullchain() + good.key.pem(), good.key.pem());
  add_binding("after_2038", "www.example.com", after_2038.fullchain(), after_2038.key.pem());
  add_binding("rsa1024", "www.example.com", weak_leaf + root.pem(), weak.pem());
  add_binding_paths("missing", "www.example.com",
                    (temp_dir_.path() / "nope/fullchain.pem").string(),
                    (temp_dir_.path() / "nope/privkey.pem").string());
  fs::create_symlink("loop_b", temp_dir_.path() / "loop_a");
  fs::create_symlink("loop_a", temp_dir_.path() / "loop_b");
  add_binding_paths("loop", "www.example.com", (temp_dir_.path() / "loop_a").string(),
                    (temp_dir_.path() / "loop_b").string());

  const std::vector<BadCertificate> cases{
      {"mismatch", "[APIG.2101]"},
      {"expired", "[APIG.2102]"},
      {"not_yet", "is not valid before"},
      {"wrong_domain", "[APIG.2103]"},
      {"no_san", "[APIG.2109]"},
      {"chain_order", "[APIG.2104]"},
      {"encrypted", "APIG.2105"},
      {"der", "APIG.2106"},
      {"empty", "APIG.2106"},
      {"key_in_cert", "APIG.2106"},
      {"after_2038", "[APIG.3148]"},
      {"rsa1024", "2048"},
      {"missing", "nope/fullchain.pem"},
      {"loop", "loop_a"},
  };
  const ProcessResult result = run_check();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(lines_of(result.out).size(), cases.size()) << result.out;
  for (const BadCertificate& bad : cases) {
    const std::string line = line_for(result, bad.name);
    EXPECT_TRUE(line.starts_with("FAIL binding '" + std::string(bad.name) + "'")) << line;
    EXPECT_NE(line.find(bad.expected), std::string::npos)
        << bad.name << ": expected '" << bad.expected << "' in: " << line;
  }
  // No key material in any message: neither PEM armour nor a line of the key's base64.
  const std::string key_line = lines_of(good.key.pem()).at(1);
  for (const std::string& line : lines_of(result.out + result.err)) {
    EXPECT_EQ(line.find("-----BEGIN PRIVATE KEY-----"), std::string::npos) << line;
    EXPECT_EQ(line.find(key_line), std::string::npos) << line;
  }
}

TEST_F(CheckCertificates, CertbotSymlinkedLayoutIsFollowed) {
  const TestChain chain = make_chain({.sans = {"site.example.com"}}, KeyKind::EcP256);
  const Lineage lineage =
      write_certbot_lineage(temp_dir_, "letsencrypt", "site.example.com", chain);
  config_ += "\n[[binding]]\nname = \"site\"\nlineage = \"" + lineage.directory.string() +
             "\"\n  [[binding.target]]\n  instance_id = \"i1\"\n  group_id = \"g1\"\n  domain = "
             "\"site.example.com\"\n";
  const ProcessResult result = run_check();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(line_for(result, "site").starts_with("OK ")) << result.out;
  EXPECT_NE(line_for(result, "site").find("site_"), std::string::npos);
}

TEST_F(CheckCertificates, ExpiringSoonIsOkWithAWarning) {
  const TestChain soon =
      make_chain({.sans = {"www.example.com"}, .not_after_offset = hours(24 * 5)}, KeyKind::EcP256);
  add_binding("soon", "www.example.com", soon.fullchain(), soon.key.pem());
  const ProcessResult result = run_check();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string line = line_for(result, "soon");
  EXPECT_TRUE(line.starts_with("OK ")) << line;
  EXPECT_NE(line.find("warning: expires in 4 days"), std::string::npos) << line;
}

TEST_F(CheckCertificates, MissingCredentialIsAFailureWithoutTheValue) {
  fs::remove(temp_dir_.path() / "secret_key");
  const TestChain chain = make_chain({.sans = {"www.example.com"}}, KeyKind::EcP256);
  add_binding("site", "www.example.com", chain.fullchain(), chain.key.pem());
  const ProcessResult result = run_check();
  // A missing secret file is a config error (the loader checks the file exists).
  EXPECT_EQ(result.exit_code, 78) << result.out << result.err;
  EXPECT_NE(result.err.find("secret_key"), std::string::npos) << result.err;
}

TEST_F(CheckCertificates, WorldReadableSecretFileIsRefused) {
  fs::permissions(temp_dir_.path() / "secret_key",
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  const TestChain chain = make_chain({.sans = {"www.example.com"}}, KeyKind::EcP256);
  add_binding("site", "www.example.com", chain.fullchain(), chain.key.pem());
  const ProcessResult result = run_check();
  EXPECT_EQ(result.exit_code, 78) << result.out << result.err;
  EXPECT_NE(result.err.find("readable by other users"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find(kSecretKey), std::string::npos);
}

TEST_F(CheckCertificates, EnvironmentCredentialsAreAccepted) {
  config_ = R"([apig]
project_id = "0123456789abcdef0123456789abcdef"
)";
  const TestChain chain = make_chain({.sans = {"www.example.com"}}, KeyKind::EcP256);
  add_binding("site", "www.example.com", chain.fullchain(), chain.key.pem());
  const fs::path config = temp_dir_.write("config.toml", config_);
  const ProcessResult result = run_apig_certd(
      {"check", "--config", config.string()},
      {{"APIG_CERTD_ACCESS_KEY", kAccessKey}, {"APIG_CERTD_SECRET_KEY", kSecretKey}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ((result.out + result.err).find(kSecretKey), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// check --online against apig-sim over HTTPS.

class CheckOnline : public CheckCertificates {
 protected:
  void SetUp() override {
    CheckCertificates::SetUp();
    const TestCa ca = TestCa::create("check online CA");
    const TestKey server_key = make_key(KeyKind::EcP256);
    const fs::path ca_file = temp_dir_.write("ca.pem", ca.pem());
    const fs::path server_cert =
        temp_dir_.write("server.pem", ca.issue({.ip_sans = {"127.0.0.1"}}, server_key));
    const fs::path server_key_file = temp_dir_.write("server.key", server_key.pem());
    const std::string seed = R"({"project_id": "0123456789abcdef0123456789abcdef",
      "credentials": {"aksk": [{"ak": ")" +
                             std::string(kAccessKey) + R"(", "sk": ")" + kSecretKey + R"("}]},
      "instances": [{"id": "i1", "groups": [
        {"id": "g1", "name": "one", "domains": [{"id": "d0000001", "domain": "www.example.com", "cname_status": 3}]},
        {"id": "g2", "name": "two", "domains": [{"id": "d0000002", "domain": "api.example.com", "cname_status": 2}]}]}]})";
    SimOptions options;
    options.binary = APIG_SIM_BINARY;
    options.seed = temp_dir_.write("seed.json", seed);
    options.tls_certificate = server_cert;
    options.tls_key = server_key_file;
    sim_ = SimProcess::start(options);
    ASSERT_NE(sim_, nullptr);
    // Point [apig] at the simulator and trust the test CA.
    config_ = std::regex_replace(
        config_, std::regex("\\[apig\\]\n"),
        "[apig]\nendpoint = \"" + sim_->url() + "\"\nca_file = \"" + ca_file.string() + "\"\n");
  }

  std::unique_ptr<SimProcess> sim_;
};

TEST_F(CheckOnline, ResolvesEveryDomainIdAndReportsTheBinding) {
  const TestChain www = make_chain(
      {.sans = {"www.example.com", "api.example.com", "gone.example.com"}}, KeyKind::EcP256);
  add_binding("www", "www.example.com", www.fullchain(), www.key.pem());  // group g1
  add_binding("api", "api.example.com", www.fullchain(), www.key.pem());  // group g2
  const ProcessResult result = run_apig_certd(
      {"check", "--online", "--config", temp_dir_.write("config.toml", config_).string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(line_for(result, "www")
                .find("online: domain_id d0000001, CNAME resolved, no certificate bound"),
            std::string::npos)
      << result.out;
  EXPECT_NE(line_for(result, "api").find("online: domain_id d0000002, CNAME resolving"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.err.find("2 OK (online)"), std::string::npos) << result.err;
  EXPECT_EQ((result.out + result.err + sim_->stderr_text()).find(kSecretKey), std::string::npos);
}

TEST_F(CheckOnline, UnknownDomainAndRejectedKeysAreFailures) {
  const TestChain chain = make_chain({.sans = {"*.example.com"}}, KeyKind::EcP256);
  add_binding("missing", "gone.example.com", chain.fullchain(), chain.key.pem());
  ProcessResult result = run_apig_certd(
      {"check", "--online", "--config", temp_dir_.write("config.toml", config_).string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(line_for(result, "missing").find("online: the domain is not bound to API group 'g1'"),
            std::string::npos)
      << result.out;

  temp_dir_.write("secret_key", "not-the-right-secret");
  result = run_apig_certd(
      {"check", "--online", "--config", temp_dir_.write("config.toml", config_).string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(line_for(result, "missing").find("APIGW.0301"), std::string::npos) << result.out;
  EXPECT_NE(line_for(result, "missing").find("check the access key / secret key pair"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Command line and version.

TEST(CommandLineProcess, BadUsageExitsTwo) {
  EXPECT_EQ(run_apig_certd({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_apig_certd({}).exit_code, 2);
  EXPECT_EQ(run_apig_certd({"check", "--dry-run"}).exit_code, 2);
  const ProcessResult help = run_apig_certd({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: apig-certd"), std::string::npos);
}

TEST(CommandLineProcess, MissingConfigFileIsAConfigError) {
  const ProcessResult result =
      run_apig_certd({"check", "--config", "/nonexistent/apig-certd.toml"});
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.err.find("/nonexistent/apig-certd.toml"), std::string::npos) << result.err;
}

TEST(CommandLineProcess, ConfigFromEnvironment) {
  const ProcessResult result =
      run_apig_certd({"check"}, {{"APIG_CERTD_CONFIG", "/nonexistent/from-env.toml"}});
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.err.find("/nonexistent/from-env.toml"), std::string::npos) << result.err;
}

TEST(VersionProcess, NamesEveryLibrary) {
  const ProcessResult result = run_apig_certd({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(^apig-certd \d+\.\d+\.\d+\n)")))
      << result.out;
  for (const char* library :
       {"OpenSSL: OpenSSL 3.", "libcurl: ", "toml++: 3.", "spdlog: 1.", "nlohmann-json: 3."}) {
    EXPECT_NE(result.out.find(library), std::string::npos) << library << " in " << result.out;
  }
}

}  // namespace
}  // namespace apig_certd::testing::check_command_test
