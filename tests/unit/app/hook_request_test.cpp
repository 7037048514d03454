#include "daemon/app/hook_request.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::app::hook_request_test {
namespace {

namespace fs = std::filesystem;

Result<HookRequest> parse(std::string_view client, std::vector<std::string> arguments,
                          std::initializer_list<std::pair<const char*, const char*>> variables) {
  Environment environment;
  for (const auto& [name, value] : variables) {
    environment.set(name, value);
  }
  return parse_hook_request(client, arguments, environment);
}

TEST(HookRequest, CertbotLineageAndDomains) {
  Result<HookRequest> request = parse("", {},
                                      {{"RENEWED_LINEAGE", "/etc/letsencrypt/live/a"},
                                       {"RENEWED_DOMAINS", "a.example www.a.example"}});
  ASSERT_TRUE(request) << request.error().to_string();
  EXPECT_EQ(request->client, HookClient::Certbot);
  EXPECT_EQ(request->paths, std::vector<fs::path>{"/etc/letsencrypt/live/a"});
  EXPECT_EQ(request->domains, (std::vector<std::string>{"a.example", "www.a.example"}));
}

TEST(HookRequest, LegoV4AndV5) {
  Result<HookRequest> v4 = parse("lego", {},
                                 {{"LEGO_CERT_PATH", "/l/a.crt"},
                                  {"LEGO_CERT_KEY_PATH", "/l/a.key"},
                                  {"LEGO_CERT_DOMAIN", "a.example"}});
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->paths, (std::vector<fs::path>{"/l/a.crt", "/l/a.key"}));
  EXPECT_EQ(v4->domains, std::vector<std::string>{"a.example"});

  Result<HookRequest> v5 = parse("", {},
                                 {{"LEGO_HOOK_CERT_PATH", "/l/b.crt"},
                                  {"LEGO_HOOK_CERT_KEY_PATH", "/l/b.key"},
                                  {"LEGO_HOOK_CERT_NAME", "b"},
                                  {"LEGO_HOOK_CERT_DOMAINS", "b.example, c.example"}});
  ASSERT_TRUE(v5);
  EXPECT_EQ(v5->client, HookClient::Lego);
  EXPECT_EQ(v5->paths, (std::vector<fs::path>{"/l/b.crt", "/l/b.key"}));
  EXPECT_EQ(v5->domains, (std::vector<std::string>{"b.example", "c.example"}));
}

TEST(HookRequest, AcmeShVariables) {
  Result<HookRequest> request = parse("", {},
                                      {{"CERT_PATH", "/a/x.cer"},
                                       {"CERT_KEY_PATH", "/a/x.key"},
                                       {"CERT_FULLCHAIN_PATH", "/a/fullchain.cer"},
                                       {"CA_CERT_PATH", "/a/ca.cer"},
                                       {"Le_Domain", "x.example"}});
  ASSERT_TRUE(request);
  EXPECT_EQ(request->client, HookClient::AcmeSh);
  EXPECT_EQ(request->paths.size(), 4U);
  EXPECT_EQ(request->domains, std::vector<std::string>{"x.example"});
}

TEST(HookRequest, DehydratedDeployCertAndOtherHandlers) {
  Result<HookRequest> deploy = parse("",
                                     {"deploy_cert", "d.example", "/d/privkey.pem", "/d/cert.pem",
                                      "/d/fullchain.pem", "/d/chain.pem", "1700000000"},
                                     {});
  ASSERT_TRUE(deploy);
  EXPECT_EQ(deploy->client, HookClient::Dehydrated);
  EXPECT_EQ(deploy->domains, std::vector<std::string>{"d.example"});
  EXPECT_EQ(deploy->paths, (std::vector<fs::path>{"/d/privkey.pem", "/d/cert.pem",
                                                  "/d/fullchain.pem", "/d/chain.pem"}));
  Result<HookRequest> other = parse("dehydrated", {"deploy_challenge", "d.example", "t", "v"}, {});
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->nothing_to_do);
  EXPECT_FALSE(parse("dehydrated", {"deploy_cert", "d.example"}, {}));
  EXPECT_FALSE(parse("dehydrated", {}, {}));
}

TEST(HookRequest, ErrorsNameWhatIsMissing) {
  Result<HookRequest> unknown = parse("", {}, {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("cannot tell which ACME client"), std::string::npos);
  Result<HookRequest> no_lineage = parse("certbot", {}, {});
  ASSERT_FALSE(no_lineage);
  EXPECT_NE(no_lineage.error().message().find("RENEWED_LINEAGE"), std::string::npos);
  EXPECT_FALSE(parse("caddy", {}, {}));
  EXPECT_FALSE(parse("lego", {}, {{"LEGO_CERT_PATH", ""}}));
}

settings::BindingSettings binding(std::string name, fs::path cert, fs::path key) {
  settings::BindingSettings value;
  value.name = std::move(name);
  value.cert = std::move(cert);
  value.key = std::move(key);
  return value;
}

TEST(HookBindings, CertbotLineageMatchesThroughItsLinks) {
  testing::TempDir dir;
  dir.write("le/archive/a/fullchain1.pem", "x");
  dir.write("le/archive/a/privkey1.pem", "x");
  dir.write("le/archive/b/fullchain1.pem", "x");
  fs::create_directories(dir / "le/live/a");
  fs::create_symlink("../../archive/a/fullchain1.pem", dir / "le/live/a/fullchain.pem");
  fs::create_symlink("../../archive/a/privkey1.pem", dir / "le/live/a/privkey.pem");
  const std::vector<settings::BindingSettings> bindings{
      binding("a", dir / "le/live/a/fullchain.pem", dir / "le/live/a/privkey.pem"),
      binding("b", dir / "le/archive/b/fullchain1.pem", dir / "le/archive/b/privkey1.pem")};
  HookRequest request;
  request.paths = {dir / "le/live/a"};
  EXPECT_EQ(bindings_for(request, bindings), std::vector<std::string>{"a"});
  request.paths = {dir / "le/live/a/"};  // a trailing slash, as some shells add
  EXPECT_EQ(bindings_for(request, bindings), std::vector<std::string>{"a"});
  request.paths = {dir / "le/live/zzz"};
  EXPECT_TRUE(bindings_for(request, bindings).empty());
}

TEST(HookBindings, FilesMatchByPathOrResolvedTarget) {
  testing::TempDir dir;
  dir.write("lego/certificates/a.crt", "x");
  dir.write("lego/certificates/a.key", "x");
  fs::create_symlink(dir / "lego", dir / "lego-link");
  const std::vector<settings::BindingSettings> bindings{
      binding("via-link", dir / "lego-link/certificates/a.crt",
              dir / "lego-link/certificates/a.key"),
      binding("other", dir / "elsewhere/b.crt", dir / "elsewhere/b.key")};
  HookRequest request;
  request.paths = {dir / "lego/certificates/a.crt", dir / "lego/certificates/a.key"};
  EXPECT_EQ(bindings_for(request, bindings), std::vector<std::string>{"via-link"});
  // A sibling file in the same directory is not a match.
  request.paths = {dir / "lego/certificates/a.issuer.crt"};
  EXPECT_TRUE(bindings_for(request, bindings).empty());
}

TEST(HookBindings, SharedDirectoryMatchesEveryBindingInIt) {
  testing::TempDir dir;
  const std::vector<settings::BindingSettings> bindings{
      binding("one", dir / "tls/one.pem", dir / "tls/one.key"),
      binding("two", dir / "tls/two.pem", dir / "tls/two.key")};
  fs::create_directories(dir / "tls");
  HookRequest request;
  request.paths = {dir / "tls"};
  EXPECT_EQ(bindings_for(request, bindings), (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace apig_certd::app::hook_request_test
