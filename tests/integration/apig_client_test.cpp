// The APIG client over real HTTPS against apig-sim: CurlTransport, the three authenticators,
// the error mapping. The simulator runs with a server certificate issued at test time by a
// test CA, which the transport trusts through `ca_file` only, exactly as an operator would
// configure a corporate CA.

#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "daemon/apig/api_error.h"
#include "daemon/apig/client.h"
#include "daemon/apig/iam_authenticator.h"
#include "daemon/auth/aksk_authenticator.h"
#include "daemon/auth/token_authenticator.h"
#include "daemon/http/curl_transport.h"
#include "tests/support/apig_sim_process.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::testing::apig_client_test {
namespace {

using nlohmann::json;

constexpr const char* kProject = "0123456789abcdef0123456789abcdef";
constexpr const char* kInstance = "eddc4d25480b4cd6b512f270a1b8b341";
constexpr const char* kGroup = "c77f5e81d9cb4424bf704ef2b0ac7600";
constexpr const char* kDomainId = "4e0a2d9c1b7f4a6f9b3b5b1c2d3e4f50";
constexpr const char* kToken = "client-test-static-token-8c1e";
constexpr const char* kAccessKey = "CLIENTTESTAK000001";
constexpr const char* kSecretKey = "client-test-secret-key-9f8e7d";
constexpr const char* kTempAccessKey = "CLIENTTESTTEMPAK01";
constexpr const char* kTempSecretKey = "client-test-temp-secret-1a2b";
constexpr const char* kSecurityToken = "client-test-security-token-3c4d";
constexpr const char* kPassword = "client-test-iam-password-5e6f";

json seed() {
  return {
      {"project_id", kProject},
      {"credentials",
       {{"tokens", {kToken}},
        {"aksk", json::array({{{"ak", kAccessKey}, {"sk", kSecretKey}},
                              {{"ak", kTempAccessKey},
                               {"sk", kTempSecretKey},
                               {"security_token", kSecurityToken}}})},
        {"iam",
         {{"token_lifetime_seconds", 7200},
          {"users",
           json::array({{{"domain", "acme"}, {"user", "certd"}, {"password", kPassword}}})}}}}},
      {"instances",
       json::array({{{"id", kInstance},
                     {"groups", json::array({{{"id", kGroup},
                                              {"name", "shop_api"},
                                              {"domains",
                                               json::array({{{"id", kDomainId},
                                                             {"domain", "www.example.com"},
                                                             {"cname_status", 1},
                                                             {"cname_sequence", {2, 3}}}})}}})}}})},
  };
}

auth::SecretReader constant(std::string value) {
  return [value] { return Result<Secret>(Secret(value)); };
}

class ApigClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    const TestCa ca = TestCa::create("apig-certd client test CA");
    const TestKey server_key = make_key(KeyKind::EcP256);
    ca_file_ = temp_dir_.write("ca.pem", ca.pem());
    temp_dir_.write("server.pem",
                    ca.issue({.ip_sans = {"127.0.0.1"}, .common_name = "127.0.0.1"}, server_key));
    temp_dir_.write("server.key", server_key.pem());
    // A certificate for another name, to prove host name verification.
    temp_dir_.write("wrong-host.pem", ca.issue({.sans = {"not-this-host.example"}}, server_key));
    seed_ = temp_dir_.write("seed.json", seed().dump());
    sim_ = start_sim(temp_dir_.path() / "server.pem");
    ASSERT_NE(sim_, nullptr);
    transport_ = make_transport(ca_file_);
    chain_ = make_chain({.sans = {"www.example.com"}}, KeyKind::Rsa2048);
    key_ = Secret(chain_.key.pem());
  }

  std::unique_ptr<SimProcess> start_sim(const std::filesystem::path& certificate, bool tls = true) {
    SimOptions options;
    options.binary = APIG_SIM_BINARY;
    options.seed = seed_;
    if (tls) {
      options.tls_certificate = certificate;
      options.tls_key = temp_dir_.path() / "server.key";
    }
    return SimProcess::start(options);
  }

  static std::unique_ptr<http::CurlTransport> make_transport(
      const std::filesystem::path& ca_file, http::AllowHttp allow = http::AllowHttp::No,
      Duration timeout = std::chrono::seconds(10)) {
    http::TransportOptions options;
    options.ca_file = ca_file;
    options.allow_http = allow;
    options.timeout = timeout;
    auto transport = http::CurlTransport::create(options);
    EXPECT_TRUE(transport) << transport.error().to_string();
    return transport ? std::move(*transport) : nullptr;
  }

  apig::Client client_with(http::Transport& transport, auth::Authenticator& authenticator) {
    return apig::Client(transport, authenticator,
                        {sim_->url(), kProject, std::chrono::seconds(10)});
  }

  // Adds a fault rule through the admin API.
  void add_fault(const json& rule) {
    httplib::Client admin(sim_->url());
    admin.enable_server_certificate_verification(false);  // The test's own admin channel.
    // A 10 MiB fault body takes a while to parse under ASan on a loaded machine.
    admin.set_read_timeout(120, 0);
    admin.set_write_timeout(120, 0);
    const auto result = admin.Post("/__admin/faults", rule.dump(), "application/json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 201) << result->body;
  }

  json admin_get(const std::string& path) {
    httplib::Client admin(sim_->url());
    admin.enable_server_certificate_verification(false);
    const auto result = admin.Get(path.c_str());
    EXPECT_TRUE(result);
    return result ? json::parse(result->body, nullptr, false) : json();
  }

  apig::CertificateUpload upload(std::string_view name = "www_20270101_abcdef01") const {
    return {name, certificate_pem_ = chain_.fullchain(), &key_, {}};
  }

  // Every error text the test saw, scanned for secrets at the end.
  void remember(const Error& error) { seen_errors_ += error.to_string() + "\n"; }

  void TearDown() override {
    if (sim_ == nullptr) {
      return;
    }
    const std::string everything = seen_errors_ + sim_->stdout_text() + sim_->stderr_text() +
                                   admin_get("/__admin/requests").dump();
    for (const std::string& secret :
         {std::string(kSecretKey), std::string(kTempSecretKey), std::string(kSecurityToken),
          std::string(kPassword), std::string(kToken), std::string(key_.view().substr(28, 60))}) {
      EXPECT_EQ(everything.find(secret), std::string::npos)
          << "a secret leaked: " << secret.substr(0, 12);
    }
  }

  TempDir temp_dir_;
  std::filesystem::path ca_file_;
  std::filesystem::path seed_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<http::CurlTransport> transport_;
  TestChain chain_{make_chain({.sans = {"www.example.com"}}, KeyKind::Rsa2048)};
  Secret key_;
  mutable std::string certificate_pem_;
  FakeClock clock_{std::chrono::system_clock::now()};
  std::string seen_errors_;
};

TEST_F(ApigClientTest, EveryCallHappyPathWithAkSk) {
  auth::AkSkAuthenticator authenticator(constant(kAccessKey), constant(kSecretKey), std::nullopt,
                                        kProject, clock_);
  apig::Client client = client_with(*transport_, authenticator);

  Result<apig::Group> group = client.get_group(kInstance, kGroup);
  ASSERT_TRUE(group) << group.error().to_string();
  EXPECT_EQ(group->url_domains.at(0).cname_status, apig::CnameStatus::NotResolved);

  Result<apig::BoundDomain> bound = client.bind_certificate(kInstance, kGroup, kDomainId, upload());
  ASSERT_TRUE(bound) << bound.error().to_string();
  EXPECT_EQ(bound->ssl_name, "www_20270101_abcdef01");
  ASSERT_FALSE(bound->ssl_id.empty());

  // CNAME follows the seeded sequence over reads: 2, then 3.
  EXPECT_EQ(client.get_group(kInstance, kGroup)->url_domains.at(0).cname_status,
            apig::CnameStatus::Resolving);
  Result<apig::Group> after = client.get_group(kInstance, kGroup);
  EXPECT_EQ(after->url_domains.at(0).cname_status, apig::CnameStatus::Resolved);
  EXPECT_EQ(after->url_domains.at(0).ssl_id, bound->ssl_id);

  Result<apig::Certificate> details =
      client.get_bound_certificate(kInstance, kGroup, kDomainId, bound->ssl_id);
  ASSERT_TRUE(details) << details.error().to_string();
  EXPECT_EQ(details->san, std::vector<std::string>{"www.example.com"});

  Result<apig::Certificate> current = client.get_certificate(bound->ssl_id);
  ASSERT_TRUE(current) << current.error().to_string();
  EXPECT_EQ(current->id, bound->ssl_id);
  Result<apig::Certificate> updated =
      client.update_certificate(bound->ssl_id, upload("www_renewed"), *current);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(client.get_bound_certificate(kInstance, kGroup, kDomainId, bound->ssl_id)->name,
            "www_renewed");

  Result<void> refused = client.delete_certificate(bound->ssl_id);  // Still bound.
  ASSERT_FALSE(refused);
  remember(refused.error());
  ASSERT_TRUE(client.delete_bound_certificate(kInstance, kGroup, kDomainId, bound->ssl_id));
  Result<apig::Certificate> gone =
      client.get_bound_certificate(kInstance, kGroup, kDomainId, bound->ssl_id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
  remember(gone.error());

  // Every request carried a signature and the project header; none a body we did not mean.
  const json log = admin_get("/__admin/requests");
  for (const json& entry : log["requests"]) {
    EXPECT_EQ(entry["auth"], "aksk") << entry.dump();
  }
}

// The certificate-object flow of strategy "attach": create, find by name (APIG.3325 for a
// second create of one name), attach, attached-domains, detach, delete.
TEST_F(ApigClientTest, CertificateObjectsAreCreatedFoundAttachedAndCounted) {
  auth::AkSkAuthenticator authenticator(constant(kAccessKey), constant(kSecretKey), std::nullopt,
                                        kProject, clock_);
  apig::Client client = client_with(*transport_, authenticator);
  apig::Certificate shape;
  shape.type = "instance";
  shape.instance_id = kInstance;
  shape.algorithm_type = "RSA";

  Result<apig::Certificate> created = client.create_certificate(upload(), shape);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->type, "instance");
  EXPECT_EQ(created->instance_id, kInstance);
  Result<apig::Certificate> again = client.create_certificate(upload(), shape);
  ASSERT_FALSE(again);
  EXPECT_EQ(apig::apig_error(again.error()), apig::ApigError::NameExists)
      << again.error().to_string();
  remember(again.error());
  Result<std::optional<apig::Certificate>> found =
      client.find_certificate("www_20270101_abcdef01", kInstance);
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, created->id);
  EXPECT_FALSE(*client.find_certificate("www_20270101_abcdef0", kInstance));  // exact names only
  EXPECT_EQ(*client.attached_domain_count(created->id), 0);

  ASSERT_TRUE(client.attach_certificate(kInstance, kGroup, kDomainId, created->id, false));
  EXPECT_EQ(client.get_group(kInstance, kGroup)->url_domains.at(0).ssl_id, created->id);
  EXPECT_EQ(*client.attached_domain_count(created->id), 1);
  ASSERT_TRUE(client.detach_certificate(kInstance, kGroup, kDomainId, created->id));
  EXPECT_EQ(*client.attached_domain_count(created->id), 0);
  ASSERT_TRUE(client.delete_certificate(created->id));
  Result<long> gone = client.attached_domain_count(created->id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
}

struct ValidationCase {
  const char* expected_code;
  const char* hint_words;
};

TEST_F(ApigClientTest, EveryValidationCodeSurfacesWithItsHint) {
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client client = client_with(*transport_, authenticator);
  const TestKey other = make_key(KeyKind::Rsa2048);
  const TestChain expired = make_chain({.sans = {"www.example.com"},
                                        .not_before_offset = -std::chrono::hours(48),
                                        .not_after_offset = -std::chrono::hours(24)},
                                       KeyKind::Rsa2048);
  const TestChain elsewhere = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const TestChain no_san = make_chain({.common_name = "www.example.com"}, KeyKind::Rsa2048);
  const TestChain late =
      make_chain({.sans = {"www.example.com"},
                  .not_after_absolute = SystemTime(std::chrono::seconds(2'200'000'000))},
                 KeyKind::Rsa2048);
  struct Attempt {
    std::string name;
    std::string certificate;
    std::string key;
    ValidationCase expected;
  };
  const std::vector<Attempt> attempts{
      {"1bad-name", chain_.fullchain(), chain_.key.pem(), {"APIG.2012", "cert_name"}},
      {"www_cert", "not a pem", chain_.key.pem(), {"APIG.2106", "not valid PEM"}},
      {"www_cert",
       chain_.fullchain(),
       chain_.key.pem(KeyFormat::EncryptedPkcs8),
       {"APIG.2105", "unencrypted"}},
      {"www_cert",
       chain_.fullchain(),
       other.pem(),
       {"APIG.2101", "does not belong to the certificate"}},
      {"www_cert", expired.fullchain(), expired.key.pem(), {"APIG.2102", "renew it"}},
      {"www_cert",
       elsewhere.fullchain(),
       elsewhere.key.pem(),
       {"APIG.2103", "does not cover this domain"}},
      {"www_cert", no_san.fullchain(), no_san.key.pem(), {"APIG.2109", "no subjectAltName"}},
      {"www_cert", chain_.leaf + chain_.root, chain_.key.pem(), {"APIG.2104", "out of order"}},
      {"www_cert", late.fullchain(), late.key.pem(), {"APIG.3148", "2038"}},
  };
  for (const Attempt& attempt : attempts) {
    const Secret key(attempt.key);
    Result<apig::BoundDomain> bound = client.bind_certificate(
        kInstance, kGroup, kDomainId, {attempt.name, attempt.certificate, &key, {}});
    ASSERT_FALSE(bound) << attempt.expected.expected_code;
    remember(bound.error());
    EXPECT_EQ(bound.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(bound.error().field("http_status"), "400");
    EXPECT_EQ(bound.error().field("apig_error_code"), attempt.expected.expected_code);
    EXPECT_NE(bound.error().to_string().find(attempt.expected.hint_words), std::string::npos)
        << bound.error().to_string();
    EXPECT_TRUE(bound.error().field("request_id").has_value());
  }
}

TEST_F(ApigClientTest, TemporaryAkSkSendsTheSecurityToken) {
  auth::AkSkAuthenticator authenticator(constant(kTempAccessKey), constant(kTempSecretKey),
                                        constant(kSecurityToken), kProject, clock_);
  apig::Client client = client_with(*transport_, authenticator);
  EXPECT_TRUE(client.get_group(kInstance, kGroup));
  auth::AkSkAuthenticator without_token(constant(kTempAccessKey), constant(kTempSecretKey),
                                        std::nullopt, kProject, clock_);
  apig::Client refused_client = client_with(*transport_, without_token);
  Result<apig::Group> refused = refused_client.get_group(kInstance, kGroup);
  ASSERT_FALSE(refused);
  remember(refused.error());
  EXPECT_EQ(refused.error().field("apig_error_code"), "APIGW.0301");
}

TEST_F(ApigClientTest, WrongSecretKeyIsExplained) {
  auth::AkSkAuthenticator authenticator(constant(kAccessKey), constant("wrong-secret"),
                                        std::nullopt, kProject, clock_);
  apig::Client client = client_with(*transport_, authenticator);
  Result<apig::Group> refused = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(refused);
  remember(refused.error());
  EXPECT_EQ(refused.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(refused.error().to_string().find(
                "check the access key / secret key pair and the system clock"),
            std::string::npos)
      << refused.error().to_string();
}

TEST_F(ApigClientTest, IamPasswordTokenIsFetchedCachedAndRefreshed) {
  auto iam_transport = make_transport(ca_file_);
  apig::IamPasswordAuthenticator authenticator(
      *iam_transport, constant(kPassword),
      apig::IamOptions{sim_->url(), "acme", "certd", kProject, std::chrono::hours(1),
                       std::chrono::seconds(10)},
      clock_);
  apig::Client client = client_with(*transport_, authenticator);
  ASSERT_TRUE(client.get_group(kInstance, kGroup));
  ASSERT_TRUE(client.get_group(kInstance, kGroup));
  EXPECT_EQ(authenticator.tokens_fetched(), 1);

  // Token lifetime is 2h and the margin 1h: after 61 minutes a new one is fetched.
  clock_.advance(std::chrono::minutes(61));
  ASSERT_TRUE(client.get_group(kInstance, kGroup));
  EXPECT_EQ(authenticator.tokens_fetched(), 2);

  // A 401 (APIG says the token expired early) drops it; the client fetches one and retries.
  clock_.set_now(std::chrono::system_clock::now());  // Back in step with the simulator's clock.
  add_fault({{"method", "GET"},
             {"path_regex", "api-groups"},
             {"count", 1},
             {"status", 401},
             {"body", R"({"error_code":"APIG.1001","error_msg":"The token must be updated."})"}});
  ASSERT_TRUE(client.get_group(kInstance, kGroup));
  EXPECT_EQ(authenticator.tokens_fetched(), 3);
}

TEST_F(ApigClientTest, IamWrongPasswordStopsWithIamsReason) {
  auto iam_transport = make_transport(ca_file_);
  apig::IamPasswordAuthenticator authenticator(
      *iam_transport, constant("not-the-password"),
      apig::IamOptions{sim_->url(), "acme", "certd", kProject, std::chrono::hours(1),
                       std::chrono::seconds(10)},
      clock_);
  apig::Client client = client_with(*transport_, authenticator);
  Result<apig::Group> refused = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(refused);
  remember(refused.error());
  EXPECT_EQ(refused.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(refused.error().to_string().find("IAM refused the user name, account or password"),
            std::string::npos)
      << refused.error().to_string();
  EXPECT_EQ(refused.error().to_string().find("not-the-password"), std::string::npos);
}

TEST_F(ApigClientTest, PersistentUnauthorizedStopsAfterOneRetry) {
  auth::TokenAuthenticator authenticator(constant("a-token-the-sim-does-not-know"), {});
  apig::Client client = client_with(*transport_, authenticator);
  Result<apig::Group> refused = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field("apig_error_code"), "APIG.1002");
  EXPECT_EQ(admin_get("/__admin/requests")["requests"].size(), 1U);  // Same token: no retry.
}

TEST_F(ApigClientTest, TlsFailsWithoutTheCaAndWithTheWrongHostName) {
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  auto untrusting = make_transport({});
  apig::Client untrusted_client = client_with(*untrusting, authenticator);
  Result<apig::Group> untrusted = untrusted_client.get_group(kInstance, kGroup);
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().code(), ErrorCode::PermissionDenied) << untrusted.error().to_string();

  sim_ = start_sim(temp_dir_.path() / "wrong-host.pem");
  ASSERT_NE(sim_, nullptr);
  apig::Client wrong_host_client = client_with(*transport_, authenticator);
  Result<apig::Group> wrong_host = wrong_host_client.get_group(kInstance, kGroup);
  ASSERT_FALSE(wrong_host);
  EXPECT_EQ(wrong_host.error().code(), ErrorCode::PermissionDenied)
      << wrong_host.error().to_string();
}

TEST_F(ApigClientTest, PlainHttpOnlyWhenAllowedAndLoopback) {
  sim_ = start_sim({}, /*tls=*/false);
  ASSERT_NE(sim_, nullptr);
  ASSERT_TRUE(sim_->url().starts_with("http://"));
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client refused_client = client_with(*transport_, authenticator);
  Result<apig::Group> refused = refused_client.get_group(kInstance, kGroup);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(refused.error().to_string().find("refusing plain http"), std::string::npos);

  auto allowing = make_transport({}, http::AllowHttp::LoopbackOnly);
  apig::Client allowed_client = client_with(*allowing, authenticator);
  EXPECT_TRUE(allowed_client.get_group(kInstance, kGroup));

  http::Request remote;
  remote.url = "http://apig.example.com/v2";
  Result<http::Response> remote_result = allowing->send(remote);
  ASSERT_FALSE(remote_result);
  EXPECT_EQ(remote_result.error().code(), ErrorCode::InvalidArgument);
}

TEST_F(ApigClientTest, TransientFailuresAreRetryable) {
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client client = client_with(*transport_, authenticator);
  const std::vector<json> faults{
      {{"status", 500}},
      {{"status", 503}, {"body", "<html>Service Unavailable</html>"}},
      {{"status", 429}, {"headers", {{"Retry-After", "3"}}}},
      {{"status", 500}, {"body", R"({"error_code":"APIG.9008","error_msg":"Too many requests"})"}},
      {{"action", "reset"}},
  };
  for (const json& fault : faults) {
    add_fault(fault);
    // A fresh connection each time: on a reused keep-alive connection libcurl itself resends
    // a request once when the connection turns out dead before any byte of the answer, which
    // would hide the reset from this test (and is why writes re-read before re-sending).
    auto fresh = make_transport(ca_file_);
    apig::Client fresh_client = client_with(*fresh, authenticator);
    Result<apig::Group> result = fresh_client.get_group(kInstance, kGroup);
    ASSERT_FALSE(result) << fault.dump();
    remember(result.error());
    EXPECT_EQ(result.error().code(), ErrorCode::Unavailable) << result.error().to_string();
    EXPECT_TRUE(is_retryable(result.error().code()));
  }
  EXPECT_TRUE(client.get_group(kInstance, kGroup));  // The faults were used up.
}

TEST_F(ApigClientTest, HungServerHitsTheTimeout) {
  auto impatient = make_transport(ca_file_, http::AllowHttp::No, std::chrono::milliseconds(800));
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client client(*impatient, authenticator,
                      {sim_->url(), kProject, std::chrono::milliseconds(800)});
  add_fault({{"action", "hang"}, {"delay_ms", 5000}});
  const auto started = std::chrono::steady_clock::now();
  Result<apig::Group> result = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Timeout) << result.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
}

TEST_F(ApigClientTest, BadBodiesAreClearErrors) {
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client client = client_with(*transport_, authenticator);

  add_fault({{"status", 200}, {"body", R"({"id": "g", "url_domains": [ {"id": "d", )"}});
  Result<apig::Group> malformed = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().to_string().find("not valid JSON"), std::string::npos);
  EXPECT_EQ(malformed.error().context().front(), "reading API group '" + std::string(kGroup) + "'");

  add_fault({{"status", 200},
             {"body", R"({"id": "g", "url_domains": [{"id": "d", "cname_status": "3"}]})"}});
  Result<apig::Group> wrong_type = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().to_string().find(
                "'url_domains[0].cname_status' should be an integer, got string"),
            std::string::npos)
      << wrong_type.error().to_string();

  add_fault({{"status", 200}, {"body", std::string(10 * 1024 * 1024, 'x')}});
  Result<apig::Group> huge = client.get_group(kInstance, kGroup);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code(), ErrorCode::ParseError);
  EXPECT_NE(huge.error().to_string().find("larger than 4194304 bytes"), std::string::npos)
      << huge.error().to_string();
}

TEST_F(ApigClientTest, SecondBindRefusedWith2051) {
  auth::TokenAuthenticator authenticator(constant(kToken), {});
  apig::Client client = client_with(*transport_, authenticator);
  ASSERT_TRUE(client.bind_certificate(kInstance, kGroup, kDomainId, upload("first_cert")));
  httplib::Client admin(sim_->url());
  admin.enable_server_certificate_verification(false);
  ASSERT_TRUE(admin.Post("/__admin/config", R"({"second_bind":"refuse"})", "application/json"));
  Result<apig::BoundDomain> second =
      client.bind_certificate(kInstance, kGroup, kDomainId, upload("second_cert"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().field("apig_error_code"), "APIG.2051");
  EXPECT_NE(second.error().to_string().find("already has a different certificate bound"),
            std::string::npos);
}

}  // namespace
}  // namespace apig_certd::testing::apig_client_test
