// apig-sim, driven as a black box: the real binary on a loopback port, spoken to over HTTP
// with httplib::Client, with certificates generated at test time (tests/support/test_certs.h).
//
// Each test starts its own simulator from a fresh seed, so state (bindings, CNAME steps,
// fault rules, the request log) never leaks between tests. What is pinned here is the
// contract other tests rely on: APIG's status codes and fields, the order of the upload
// checks, the second-bind switch, the CNAME sequence, faults, redaction, and all three ways
// to authenticate (static token, IAM token, AK/SK signed by the daemon's own signer).

#include <csignal>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "daemon/auth/aksk_signer.h"
#include "daemon/crypto/digest.h"
#include "tests/support/apig_sim_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::testing::apig_sim_test {
namespace {

using nlohmann::json;

constexpr std::string_view kProject = "0b5f1c2d3e4f40a1b2c3d4e5f6a7b8c9";
constexpr std::string_view kInstance = "eddc4d25480b4cd6b512f270a1b8b341";
constexpr std::string_view kGroup = "c77f5e81d9cb4424bf704ef2b0ac7600";
constexpr std::string_view kShopDomain = "f6bb1c2f3d4e4a5b9c8d7e6f5a4b3c2d";
constexpr std::string_view kEccDomain = "0c1d2e3f405162738495a6b7c8d9eaf0";
constexpr std::string_view kBoundDomain = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
constexpr std::string_view kSharedDomain = "b2c3d4e5f60718293a4b5c6d7e8f90a1";
constexpr std::string_view kSeededCertificate = "7d1e0f2a3b4c4d5e8f90a1b2c3d4e5f6";
constexpr std::string_view kToken = "static-test-token-6f1d";
constexpr std::string_view kAccessKey = "SIMTESTACCESSKEY01";
constexpr std::string_view kSecretKey = "sim-test-secret-key-value";
constexpr std::string_view kTempAccessKey = "SIMTESTTEMPKEY0001";
constexpr std::string_view kTempSecretKey = "sim-temp-secret-key-value";
constexpr std::string_view kSecurityToken = "sim-security-token-value";
constexpr std::string_view kPassword = "sim-iam-password-value";

json group_seed(std::string_view id, std::string_view name, json domains) {
  return {{"id", id}, {"name", name}, {"domains", std::move(domains)}};
}

json seed_document() {
  const json domains = json::array({
      {{"id", kShopDomain},
       {"domain", "shop.example.com"},
       {"cname_status", 3},
       {"cname_sequence", {2, 2, 3}}},
      {{"id", kEccDomain}, {"domain", "ecc.example.com"}},
      {{"id", kBoundDomain},
       {"domain", "bound.example.com"},
       {"certificate_id", kSeededCertificate}},
      // The seeded certificate is global (the seed's default type) and serves both domains.
      {{"id", kSharedDomain},
       {"domain", "shared.example.com"},
       {"certificate_id", kSeededCertificate}},
  });
  return {
      {"project_id", kProject},
      {"credentials",
       {{"tokens", {kToken}},
        {"aksk", json::array({{{"ak", kAccessKey}, {"sk", kSecretKey}},
                              {{"ak", kTempAccessKey},
                               {"sk", kTempSecretKey},
                               {"security_token", kSecurityToken}}})},
        {"iam",
         {{"users",
           json::array({{{"domain", "acme"}, {"user", "certd"}, {"password", kPassword}}})}}}}},
      {"certificates", json::array({{{"id", kSeededCertificate},
                                     {"name", "seeded_cert"},
                                     {"san", {"bound.example.com"}}}})},
      {"instances",
       json::array(
           {{{"id", kInstance},
             {"groups", json::array({group_seed(kGroup, "shop_api", domains),
                                     group_seed("group2", "second_api", json::array()),
                                     group_seed("group3", "third_api", json::array())})}}})},
  };
}

std::string apig(std::string_view rest) {
  return "/v2/" + std::string(kProject) + "/apigw" + std::string(rest);
}
std::string group_path() {
  return apig("/instances/" + std::string(kInstance) + "/api-groups/" + std::string(kGroup));
}
std::string domain_certificate_path(std::string_view domain) {
  return group_path() + "/domains/" + std::string(domain) + "/certificate";
}

json upload(const std::string& certificate, const std::string& key,
            std::string_view name = "shop_cert") {
  return {{"cert_content", certificate}, {"name", name}, {"private_key", key}};
}

json body_of(const httplib::Result& result) {
  return result ? json::parse(result->body, nullptr, false) : json();
}

std::string error_code(const httplib::Result& result) {
  const json body = body_of(result);
  return body.is_object() && body.contains("error_code") ? body["error_code"].get<std::string>()
                                                         : "<no error_code>";
}

// The url_domains[] element with this id (a copy), or null.
json find_domain(const json& group, std::string_view id) {
  for (const json& domain : group["url_domains"]) {
    if (domain["id"] == id) {
      return domain;
    }
  }
  return nullptr;
}

// The certificate bound to a url_domains[] element, whatever its algorithm: ssl_infos names
// every bound certificate, while ssl_id shows RSA ones only.
std::string bound_certificate(const json& domain) {
  return domain["ssl_infos"].empty() ? "" : domain["ssl_infos"][0]["ssl_id"].get<std::string>();
}

class ApigSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // httplib sends without MSG_NOSIGNAL; resets are tested.
    seed_ = temp_dir_.write("seed.json", seed_document().dump());
    start();
  }

  void start(std::optional<std::filesystem::path> tls_certificate = std::nullopt,
             std::optional<std::filesystem::path> tls_key = std::nullopt) {
    sim_.reset();
    SimOptions options;
    options.binary = APIG_SIM_BINARY;
    options.seed = seed_;
    options.tls_certificate = std::move(tls_certificate);
    options.tls_key = std::move(tls_key);
    sim_ = SimProcess::start(options);
    ASSERT_NE(sim_, nullptr);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sim_->port());
    client_->set_read_timeout(std::chrono::seconds(5));
  }

  httplib::Headers auth() const { return {{"X-Auth-Token", std::string(kToken)}}; }

  httplib::Result get(const std::string& path) { return client_->Get(path.c_str(), auth()); }
  httplib::Result post(const std::string& path, const json& body, const httplib::Headers& headers) {
    return client_->Post(path.c_str(), headers, body.dump(), "application/json");
  }
  httplib::Result bind(std::string_view domain, const json& body) {
    return post(domain_certificate_path(domain), body, auth());
  }
  httplib::Result admin_post(std::string_view what, const json& body) {
    return client_->Post(("/__admin/" + std::string(what)).c_str(), body.dump(),
                         "application/json");
  }
  json read_group() { return body_of(get(group_path())); }

  TempDir temp_dir_;
  std::filesystem::path seed_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ApigSimTest, ReadsAGroupWithItsDomains) {
  const auto result = get(group_path());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("X-Request-Id").size(), 32U);
  const json group = body_of(result);
  EXPECT_EQ(group["id"], kGroup);
  EXPECT_EQ(group["name"], "shop_api");
  const json bound_domain = find_domain(group, kBoundDomain);
  ASSERT_FALSE(bound_domain.is_null());
  const json* bound = &bound_domain;
  EXPECT_EQ((*bound)["domain"], "bound.example.com");
  EXPECT_EQ((*bound)["ssl_id"], kSeededCertificate);
  EXPECT_EQ((*bound)["ssl_name"], "seeded_cert");
  EXPECT_EQ((*bound)["ssl_infos"][0]["algorithm_type"], "RSA");
  for (const char* field : {"cname_status", "min_ssl_version",
                            "verified_client_certificate_enabled", "is_has_trusted_root_ca"}) {
    EXPECT_TRUE(bound->contains(field)) << field;
  }
}

TEST_F(ApigSimTest, ListsGroupsInPages) {
  const std::string list = apig("/instances/" + std::string(kInstance) + "/api-groups");
  const json first = body_of(get(list + "?limit=2"));
  EXPECT_EQ(first["size"], 2);
  EXPECT_EQ(first["total"], 3);
  const json second = body_of(get(list + "?offset=2&limit=2"));
  EXPECT_EQ(second["size"], 1);
  EXPECT_EQ(second["groups"][0]["name"], "third_api");
}

TEST_F(ApigSimTest, UnknownObjectsAre404WithApigCodes) {
  EXPECT_EQ(error_code(get(apig("/instances/nope/api-groups/" + std::string(kGroup)))),
            "APIG.3030");
  EXPECT_EQ(error_code(get(apig("/instances/" + std::string(kInstance) + "/api-groups/nope"))),
            "APIG.3001");
  const TestChain chain = make_chain({.sans = {"shop.example.com"}});
  const auto result = bind("nope", upload(chain.fullchain(), chain.key.pem()));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(error_code(result), "APIG.3020");
  EXPECT_EQ(error_code(get(apig("/certificates/nope"))), "APIG.3021");
}

TEST_F(ApigSimTest, BindsACertificate) {
  const TestChain chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const auto result = bind(kShopDomain, upload(chain.fullchain(), chain.key.pem()));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 201) << result->body;
  const json body = body_of(result);
  EXPECT_EQ(body["url_domain"], "shop.example.com");
  EXPECT_EQ(body["id"], kShopDomain);
  EXPECT_EQ(body["ssl_name"], "shop_cert");
  EXPECT_EQ(body["ssl_id"].get<std::string>().size(), 32U);
  EXPECT_TRUE(body.contains("status"));

  const std::string ssl_id = body["ssl_id"];
  const json domain_json = find_domain(read_group(), kShopDomain);
  const json* domain = &domain_json;
  ASSERT_FALSE(domain_json.is_null());
  EXPECT_EQ((*domain)["ssl_id"], ssl_id);

  const json details = body_of(get(domain_certificate_path(kShopDomain) + "/" + ssl_id));
  EXPECT_EQ(details["id"], ssl_id);
  EXPECT_EQ(details["san"], json::array({"shop.example.com"}));
  EXPECT_TRUE(details["not_after"].get<std::string>().ends_with("Z"));
  EXPECT_TRUE(details.contains("common_name"));
}

TEST_F(ApigSimTest, AcceptsWildcardSansAndCjkNames) {
  const TestChain chain = make_chain({.sans = {"*.example.com"}});
  const auto result = bind(kShopDomain, upload(chain.fullchain(), chain.key.pem(), "证书名称"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 201) << result->body;
}

struct ValidationCase {
  std::string label;
  json body;
  std::string code;
};

std::vector<ValidationCase> validation_cases() {
  const TestChain good = make_chain({.sans = {"shop.example.com"}});
  const std::string cert = good.fullchain();
  const std::string key = good.key.pem();
  const TestKey other_key = make_key(KeyKind::EcP256);
  const TestChain expired = make_chain({.sans = {"shop.example.com"},
                                        .not_before_offset = std::chrono::hours(-48),
                                        .not_after_offset = std::chrono::hours(-1)});
  const TestChain other_name = make_chain({.sans = {"other.example.com"}});
  const TestChain no_san = make_chain({.common_name = "shop.example.com"});
  const TestChain late = make_chain(
      {.sans = {"shop.example.com"},
       .not_after_absolute = std::chrono::system_clock::from_time_t(2177452800)});  // 2039
  const std::string garbage_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  json no_cert = upload(cert, key);
  no_cert.erase("cert_content");
  json no_name = upload(cert, key);
  no_name.erase("name");
  json no_key = upload(cert, key);
  no_key.erase("private_key");
  return {
      {"missing cert_content", no_cert, "APIG.2001"},
      {"missing name", no_name, "APIG.2001"},
      {"missing private_key", no_key, "APIG.2001"},
      {"name starts with a digit", upload(cert, key, "1shop"), "APIG.2012"},
      {"name too short", upload(cert, key, "abc"), "APIG.2012"},
      {"name with a dash", upload(cert, key, "shop-cert"), "APIG.2012"},
      {"bad name wins over encrypted key",
       upload(cert, good.key.pem(KeyFormat::EncryptedPkcs8), "1x"), "APIG.2012"},
      {"certificate not PEM", upload("not a certificate", key), "APIG.2106"},
      {"bad certificate wins over encrypted key",
       upload("junk", good.key.pem(KeyFormat::EncryptedPkcs8)), "APIG.2106"},
      {"encrypted PKCS#8 key", upload(cert, good.key.pem(KeyFormat::EncryptedPkcs8)), "APIG.2105"},
      {"encrypted traditional key", upload(cert, good.key.pem(KeyFormat::EncryptedTraditional)),
       "APIG.2105"},
      {"key not PEM", upload(cert, garbage_key), "APIG.2106"},
      {"key does not match", upload(cert, other_key.pem()), "APIG.2101"},
      {"expired", upload(expired.fullchain(), expired.key.pem()), "APIG.2102"},
      {"domain not covered", upload(other_name.fullchain(), other_name.key.pem()), "APIG.2103"},
      {"domain not covered wins over chain out of order",
       upload(other_name.leaf + other_name.root, other_name.key.pem()), "APIG.2103"},
      {"no SAN", upload(no_san.fullchain(), no_san.key.pem()), "APIG.2109"},
      {"chain out of order", upload(good.leaf + good.root, key), "APIG.2104"},
      {"expires after 2038", upload(late.fullchain(), late.key.pem()), "APIG.3148"},
  };
}

TEST_F(ApigSimTest, ValidatesUploadsInApigOrder) {
  for (const ValidationCase& check : validation_cases()) {
    const auto result = bind(kShopDomain, check.body);
    ASSERT_TRUE(result) << check.label;
    EXPECT_EQ(result->status, 400) << check.label;
    EXPECT_EQ(error_code(result), check.code) << check.label << ": " << result->body;
  }
  const json missing = body_of(bind(kShopDomain, validation_cases()[1].body));
  EXPECT_NE(missing["error_msg"].get<std::string>().find("name"), std::string::npos);
}

TEST_F(ApigSimTest, SecondBindReplacesByDefault) {
  // RSA: the bind answer carries the ssl_id (ECC ones leave it empty, as APIG may).
  const TestChain chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const json first = body_of(bind(kShopDomain, upload(chain.fullchain(), chain.key.pem())));
  const auto second = bind(kShopDomain, upload(chain.fullchain(), chain.key.pem(), "shop_cert_2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 201);
  const std::string new_id = body_of(second)["ssl_id"];
  EXPECT_NE(new_id, first["ssl_id"]);
  EXPECT_EQ(bound_certificate(find_domain(read_group(), kShopDomain)), new_id);
  EXPECT_EQ(error_code(get(apig("/certificates/" + first["ssl_id"].get<std::string>()))),
            "APIG.3021");
}

TEST_F(ApigSimTest, SecondBindCanBeRefused) {
  const auto switched = admin_post("config", {{"second_bind", "refuse"}});
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 200);
  // RSA: the bind answer carries the ssl_id (ECC ones leave it empty, as APIG may).
  const TestChain chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const json first = body_of(bind(kShopDomain, upload(chain.fullchain(), chain.key.pem())));
  const auto second = bind(kShopDomain, upload(chain.fullchain(), chain.key.pem()));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 400);
  EXPECT_EQ(error_code(second), "APIG.2051");
  EXPECT_EQ(bound_certificate(find_domain(read_group(), kShopDomain)), first["ssl_id"]);
}

TEST_F(ApigSimTest, SecondBindCanLeaveTheOldCertificateUnbound) {
  ASSERT_TRUE(admin_post("config", {{"second_bind", "unbind"}}));
  // RSA: the bind answer carries the ssl_id (ECC ones leave it empty, as APIG may).
  const TestChain chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const json first = body_of(bind(kShopDomain, upload(chain.fullchain(), chain.key.pem())));
  const auto second = bind(kShopDomain, upload(chain.fullchain(), chain.key.pem(), "shop_cert_2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(bound_certificate(find_domain(read_group(), kShopDomain)), body_of(second)["ssl_id"]);
  // The old object outlives the replace, unbound, and can then be deleted (once).
  const std::string old_path = "/certificates/" + first["ssl_id"].get<std::string>();
  const auto old = get(apig(old_path));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 200);
  const auto deleted = client_->Delete(apig(old_path).c_str(), auth());
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  EXPECT_EQ(error_code(get(apig(old_path))), "APIG.3021");
  // The bound one is refused.
  const auto refused = client_->Delete(
      apig("/certificates/" + body_of(second)["ssl_id"].get<std::string>()).c_str(), auth());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(error_code(refused), "APIG.3470");
}

TEST_F(ApigSimTest, TlsFrozenIsSetShownAndValidated) {
  const auto frozen = admin_post("config", {{"tls_frozen", {"shop.example.com"}}});
  ASSERT_TRUE(frozen);
  EXPECT_EQ(frozen->status, 200);
  EXPECT_EQ(body_of(frozen)["tls_frozen"], json::array({"shop.example.com"}));
  EXPECT_EQ(body_of(frozen)["second_bind"], "replace");  // Untouched.
  for (const json& bad :
       {json{{"tls_frozen", "shop.example.com"}}, json{{"tls_frozen", {1}}},
        json{{"second_bind", "sometimes"}, {"tls_frozen", json::array()}}, json::object()}) {
    const auto refused = admin_post("config", bad);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << bad.dump();
  }
  // A refused request changed nothing; an empty list thaws.
  const auto shown = client_->Get("/__admin/config");
  ASSERT_TRUE(shown);
  EXPECT_EQ(body_of(shown)["tls_frozen"], json::array({"shop.example.com"}));
  const auto thawed = admin_post("config", {{"tls_frozen", json::array()}});
  ASSERT_TRUE(thawed);
  EXPECT_EQ(body_of(thawed)["tls_frozen"], json::array());
}

TEST_F(ApigSimTest, DeletingTheBoundCertificateUnbindsAndDeletesIt) {
  // RSA: the bind answer carries the ssl_id (ECC ones leave it empty, as APIG may).
  const TestChain chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const std::string id =
      body_of(bind(kShopDomain, upload(chain.fullchain(), chain.key.pem())))["ssl_id"];
  const auto deleted =
      client_->Delete((domain_certificate_path(kShopDomain) + "/" + id).c_str(), auth());
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  const json domain_json = find_domain(read_group(), kShopDomain);
  const json* domain = &domain_json;
  EXPECT_EQ((*domain)["ssl_id"], "");
  EXPECT_TRUE((*domain)["ssl_infos"].empty());
  EXPECT_EQ(error_code(get(apig("/certificates/" + id))), "APIG.3021");
}

// A domain holds one certificate per algorithm (REFERENCE.md §2.7): an ECC one is added next
// to the RSA one, and only a second certificate of one algorithm is refused (second_bind).
TEST_F(ApigSimTest, ADomainHoldsOneCertificatePerAlgorithm) {
  ASSERT_TRUE(admin_post("config", {{"second_bind", "refuse"}}));
  const TestChain rsa = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const TestChain ecc = make_chain({.sans = {"shop.example.com"}}, KeyKind::EcP256);
  ASSERT_EQ(bind(kShopDomain, upload(rsa.fullchain(), rsa.key.pem(), "shop_rsa"))->status, 201);
  ASSERT_EQ(bind(kShopDomain, upload(ecc.fullchain(), ecc.key.pem(), "shop_ecc"))->status, 201);
  const json domain = find_domain(read_group(), kShopDomain);
  EXPECT_EQ(domain["ssl_name"], "shop_rsa");  // the domain's own fields name the RSA one
  ASSERT_EQ(domain["ssl_infos"].size(), 2U);
  EXPECT_EQ(domain["ssl_infos"][0]["algorithm_type"], "RSA");
  EXPECT_EQ(domain["ssl_infos"][1]["algorithm_type"], "ECC");
  EXPECT_EQ(domain["ssl_infos"][1]["ssl_name"], "shop_ecc");
  const auto again = bind(kShopDomain, upload(ecc.fullchain(), ecc.key.pem(), "shop_ecc_2"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400);
  EXPECT_EQ(error_code(again), "APIG.2051");
}

// Detaching unbinds a certificate from one domain: the object and its other domains stay.
TEST_F(ApigSimTest, DetachUnbindsFromOneDomainOnly) {
  const std::string detach =
      group_path() + "/domains/" + std::string(kBoundDomain) + "/certificates/detach";
  const json body = {{"certificate_ids", {kSeededCertificate}}};
  const auto detached = post(detach, body, auth());
  ASSERT_TRUE(detached);
  EXPECT_EQ(detached->status, 204) << detached->body;
  EXPECT_TRUE(find_domain(read_group(), kBoundDomain)["ssl_infos"].empty());
  EXPECT_EQ(find_domain(read_group(), kSharedDomain)["ssl_infos"][0]["ssl_id"], kSeededCertificate);
  EXPECT_EQ(get(apig("/certificates/" + std::string(kSeededCertificate)))->status, 200);
  const auto again = post(detach, body, auth());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(error_code(again), "APIG.3097");
  const auto malformed = post(detach, {{"certificate_ids", "x"}}, auth());
  ASSERT_TRUE(malformed);
  EXPECT_EQ(error_code(malformed), "APIG.2012");
}

// DELETE on a domain's certificate unbinds and deletes the object: refused while the object
// also serves another domain (the simulator's reading; the documents say only an unbound
// object can be deleted).
TEST_F(ApigSimTest, DeletingACertificateThatServesAnotherDomainIsRefused) {
  const auto refused = client_->Delete(
      (domain_certificate_path(kBoundDomain) + "/" + std::string(kSeededCertificate)).c_str(),
      auth());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(error_code(refused), "APIG.3470");
  EXPECT_EQ(find_domain(read_group(), kBoundDomain)["ssl_infos"][0]["ssl_id"], kSeededCertificate);
}

TEST_F(ApigSimTest, RefusesToDeleteABoundCertificateObject) {
  const auto result =
      client_->Delete(apig("/certificates/" + std::string(kSeededCertificate)).c_str(), auth());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 400);
  EXPECT_EQ(error_code(result), "APIG.3470");
}

TEST_F(ApigSimTest, PutRewritesACertificateInPlace) {
  const TestChain old_chain = make_chain({.sans = {"shop.example.com"}}, KeyKind::Rsa2048);
  const std::string id =
      body_of(bind(kShopDomain, upload(old_chain.fullchain(), old_chain.key.pem())))["ssl_id"];
  const TestChain renewed =
      make_chain({.sans = {"shop.example.com"}, .not_after_offset = std::chrono::hours(24 * 200)},
                 KeyKind::Rsa2048);
  // The PUT body is the create body: an instance object needs its type and instance again.
  json body = upload(renewed.fullchain(), renewed.key.pem(), "renewed");
  const auto untyped =
      client_->Put(apig("/certificates/" + id).c_str(), auth(), body.dump(), "application/json");
  EXPECT_EQ(error_code(untyped), "APIG.2012");
  body["type"] = "instance";
  body["instance_id"] = kInstance;
  const auto result =
      client_->Put(apig("/certificates/" + id).c_str(), auth(), body.dump(), "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(body_of(result)["name"], "renewed");
  EXPECT_EQ(body_of(result)["algorithm_type"], "RSA");
  const json domain_json = find_domain(read_group(), kShopDomain);
  const json* domain = &domain_json;
  EXPECT_EQ((*domain)["ssl_id"], id);
  EXPECT_EQ((*domain)["ssl_name"], "renewed");
  const TestChain wrong = make_chain({.sans = {"other.example.com"}});
  const auto refused =
      client_->Put(apig("/certificates/" + id).c_str(), auth(),
                   upload(wrong.fullchain(), wrong.key.pem()).dump(), "application/json");
  EXPECT_EQ(error_code(refused), "APIG.2103");
}

TEST_F(ApigSimTest, CnameStatusFollowsTheSequenceAfterABind) {
  EXPECT_EQ(find_domain(read_group(), kShopDomain)["cname_status"], 3);
  const TestChain chain = make_chain({.sans = {"shop.example.com"}});
  ASSERT_EQ(bind(kShopDomain, upload(chain.fullchain(), chain.key.pem()))->status, 201);
  std::vector<int> seen;
  for (int i = 0; i < 4; ++i) {
    seen.push_back(find_domain(read_group(), kShopDomain)["cname_status"]);
  }
  EXPECT_EQ(seen, (std::vector<int>{2, 2, 3, 3}));
}

TEST_F(ApigSimTest, EccCertificatesShowOnlyInSslInfos) {
  const TestChain chain = make_chain({.sans = {"ecc.example.com"}}, KeyKind::EcP256);
  const json bound =
      body_of(bind(kEccDomain, upload(chain.fullchain(), chain.key.pem(), "ecc_cert")));
  // Like the domain's own fields, the bind answer names an RSA certificate only.
  EXPECT_EQ(bound["ssl_id"], "");
  EXPECT_EQ(bound["ssl_name"], "");
  const json domain_json = find_domain(read_group(), kEccDomain);
  ASSERT_FALSE(domain_json.is_null());
  const json* domain = &domain_json;
  EXPECT_EQ((*domain)["ssl_id"], "");
  EXPECT_EQ((*domain)["ssl_name"], "");
  ASSERT_EQ((*domain)["ssl_infos"].size(), 1U);
  EXPECT_EQ((*domain)["ssl_infos"][0]["ssl_name"], "ecc_cert");
  EXPECT_EQ((*domain)["ssl_infos"][0]["ssl_id"].get<std::string>().size(), 32U);
  EXPECT_EQ((*domain)["ssl_infos"][0]["algorithm_type"], "ECC");
}

TEST_F(ApigSimTest, InjectsServerErrorsThenRecovers) {
  ASSERT_EQ(
      admin_post("faults", {{"status", 500}, {"count", 2}, {"path_regex", "api-groups"}})->status,
      201);
  EXPECT_EQ(get(group_path())->status, 500);
  EXPECT_EQ(error_code(get(group_path())), "APIG.9999");
  EXPECT_EQ(get(group_path())->status, 200);
}

TEST_F(ApigSimTest, InjectsMalformedBodiesAndDelays) {
  admin_post("faults", {{"status", 200}, {"body", R"({"url_domains": [)"}});
  const auto malformed = get(group_path());
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 200);
  EXPECT_TRUE(json::parse(malformed->body, nullptr, false).is_discarded());

  admin_post("faults", {{"delay_ms", 300}, {"method", "GET"}});
  const auto started = std::chrono::steady_clock::now();
  const auto delayed = get(group_path());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  ASSERT_TRUE(delayed);
  EXPECT_EQ(delayed->status, 200);
}

TEST_F(ApigSimTest, ResetsConnectionsAndReleasesHungRequestsOnShutdown) {
  admin_post("faults", {{"action", "reset"}});
  EXPECT_FALSE(get(group_path()));
  EXPECT_EQ(get(group_path())->status, 200);

  admin_post("faults", {{"action", "hang"}});
  client_->set_read_timeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(get(group_path()));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(sim_->stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

TEST_F(ApigSimTest, RequestLogRedactsSecrets) {
  const TestChain chain = make_chain({.sans = {"shop.example.com"}});
  const std::string key = chain.key.pem();
  ASSERT_EQ(bind(kShopDomain, upload(chain.fullchain(), key))->status, 201);
  const auto log = client_->Get("/__admin/requests");
  ASSERT_TRUE(log);
  const json entry = body_of(log)["requests"].back();
  EXPECT_EQ(entry["method"], "POST");
  EXPECT_EQ(entry["status"], 201);
  EXPECT_EQ(entry["headers"]["X-Auth-Token"], "<redacted>");
  EXPECT_EQ(entry["body"]["private_key"]["sha256"], crypto::sha256_hex(key));
  EXPECT_EQ(entry["body"]["name"], "shop_cert");
  const auto state = client_->Get("/__admin/state");
  for (const std::string& text :
       {log->body, state->body, sim_->stdout_text(), sim_->stderr_text()}) {
    EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(text.find(kToken), std::string::npos);
  }
  EXPECT_EQ(client_->Delete("/__admin/requests")->status, 204);
  EXPECT_TRUE(body_of(client_->Get("/__admin/requests"))["requests"].empty());
}

TEST_F(ApigSimTest, RejectsUnknownTokens) {
  const auto result = client_->Get(group_path().c_str(), {{"X-Auth-Token", "wrong"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(error_code(result), "APIG.1002");
  EXPECT_FALSE(body_of(result)["error_msg"].get<std::string>().empty());
}

json iam_request(std::string_view password) {
  return {{"auth",
           {{"identity",
             {{"methods", {"password"}},
              {"password",
               {{"user",
                 {{"name", "certd"}, {"password", password}, {"domain", {{"name", "acme"}}}}}}}}},
            {"scope", {{"project", {{"id", kProject}}}}}}}};
}

TEST_F(ApigSimTest, IssuesIamTokensThatAuthenticate) {
  const auto wrong = post("/v3/auth/tokens", iam_request("nope"), {});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  const auto issued = post("/v3/auth/tokens?nocatalog=true", iam_request(kPassword), {});
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued->status, 201);
  const std::string token = issued->get_header_value("X-Subject-Token");
  ASSERT_FALSE(token.empty());
  EXPECT_TRUE(body_of(issued)["token"]["expires_at"].get<std::string>().ends_with("Z"));
  const auto result = client_->Get(group_path().c_str(), {{"X-Auth-Token", token}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  const std::string log = client_->Get("/__admin/requests")->body;
  EXPECT_EQ(log.find(kPassword), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos);
}

class AkSkTest : public ApigSimTest {
 protected:
  httplib::Result signed_get(const std::string& signed_target, const std::string& sent_target,
                             const auth::Credentials& credentials) {
    const std::string url = "http://127.0.0.1:" + std::to_string(sim_->port()) + signed_target;
    const std::string date = auth::format_sdk_date(std::chrono::system_clock::now());
    const auto request = auth::sign({.method = "GET",
                                     .url = url,
                                     .headers = {},
                                     .body = "",
                                     .sdk_date = date,
                                     .project_id = kProject},
                                    credentials);
    EXPECT_TRUE(request) << request.error().to_string();
    httplib::Headers headers;
    for (const auth::Header& header : request->headers) {
      headers.emplace(header.name, header.value);
    }
    return client_->Get(sent_target.c_str(), headers);
  }
};

TEST_F(AkSkTest, AcceptsRequestsSignedByTheDaemonSigner) {
  const auth::Credentials credentials{std::string(kAccessKey), Secret(std::string(kSecretKey)),
                                      std::nullopt};
  const std::string list = apig("/instances/" + std::string(kInstance) + "/api-groups?limit=1");
  const auto result = signed_get(list, list, credentials);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;

  const auth::Credentials temporary{std::string(kTempAccessKey),
                                    Secret(std::string(kTempSecretKey)),
                                    Secret(std::string(kSecurityToken))};
  const auto with_token = signed_get(list, list, temporary);
  ASSERT_TRUE(with_token);
  EXPECT_EQ(with_token->status, 200) << with_token->body;
}

TEST_F(AkSkTest, RejectsTamperedRequests) {
  const auth::Credentials credentials{std::string(kAccessKey), Secret(std::string(kSecretKey)),
                                      std::nullopt};
  const std::string list = apig("/instances/" + std::string(kInstance) + "/api-groups");
  const auto result = signed_get(list + "?limit=1", list + "?limit=2", credentials);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(error_code(result), "APIGW.0301");
  EXPECT_EQ(result->body.find(kSecretKey), std::string::npos);
}

TEST_F(ApigSimTest, ServesHttpsWithTheGivenCertificate) {
  const TestCa ca = TestCa::create("apig-sim test CA");
  const TestKey key = make_key(KeyKind::EcP256);
  const std::string server_cert =
      ca.issue({.ip_sans = {"127.0.0.1"}, .common_name = "127.0.0.1"}, key);
  const auto cert_path = temp_dir_.write("server.pem", server_cert);
  const auto key_path = temp_dir_.write("server.key", key.pem());
  const auto ca_path = temp_dir_.write("ca.pem", ca.pem());
  start(cert_path, key_path);
  ASSERT_TRUE(sim_->url().starts_with("https://127.0.0.1:")) << sim_->url();
  httplib::SSLClient tls_client("127.0.0.1", sim_->port());
  tls_client.set_ca_cert_path(ca_path.c_str());
  tls_client.enable_server_certificate_verification(true);
  const auto result = tls_client.Get(group_path().c_str(), auth());
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
}

TEST_F(ApigSimTest, StopsCleanlyOnSigterm) {
  EXPECT_EQ(sim_->stop(), 0);
}

}  // namespace
}  // namespace apig_certd::testing::apig_sim_test
