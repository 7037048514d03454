// Strategy "attach", the object step (certificate_object.h): every edge with a fake transport
// and a fake clock. An object of our name is this certificate (the name carries its
// fingerprint), so it is never created twice: not after APIG.3325, not after a create whose
// outcome is unknown.

#include "daemon/engine/certificate_object.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace apig_certd::engine::certificate_object_test {
namespace {

using std::chrono::seconds;

constexpr std::string_view kName = "www_20270101_abcdef01";

class NoAuth final : public auth::Authenticator {
 public:
  Result<void> authorize(http::Request& /*request*/) override { return {}; }
  bool refresh_after_unauthorized() override { return false; }
  std::string_view method_name() const override { return "none"; }
};

std::string object_json(std::string_view id, std::string_view name, std::string_view instance) {
  return R"({"id":")" + std::string(id) + R"(","name":")" + std::string(name) +
         R"(","type":"instance","instance_id":")" + std::string(instance) + R"("})";
}

class CertificateObjectTest : public ::testing::Test {
 protected:
  ObjectResult ensure() {
    NoAuth auth;
    apig::Client client(transport_, auth, {"https://apig.example", "proj", seconds(5)});
    const settings::RetrySettings retry_settings{seconds(5), seconds(60)};
    std::mt19937_64 random(7);
    RetryBudget retry(clock_, retry_settings, std::nullopt, seconds(600), random, nullptr);
    const Secret key("key");
    return ensure_certificate_object({"i1", "ECC"}, {kName, "cert", &key, "CA PEM"}, client, retry);
  }

  std::vector<std::string> requests() const {
    std::vector<std::string> lines;
    for (const testing::RecordedRequest& request : transport_.requests()) {
      const std::size_t path = request.url.find("/v2/proj/apigw");
      lines.push_back(request.method + " " + request.url.substr(path + 14));
    }
    return lines;
  }

  void error(long status, std::string_view code) {
    transport_.respond(status, R"({"error_code":")" + std::string(code) + R"(","error_msg":"x"})");
  }

  testing::FakeTransport transport_;
  testing::FakeClock clock_;
};

TEST_F(CertificateObjectTest, CreatesAnInstanceObjectWithItsAlgorithmAndCa) {
  transport_.respond(200, object_json("obj", kName, "i1"));
  const ObjectResult result = ensure();
  EXPECT_EQ(result.id, "obj");
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.requests, 1);
  EXPECT_EQ(result.writes, 1);
  ASSERT_EQ(transport_.requests().size(), 1U);
  const std::string& body = transport_.requests()[0].body;
  for (const char* part : {R"("type":"instance")", R"("instance_id":"i1")",
                           R"("algorithm_type":"ECC")", R"("trusted_root_ca":"CA PEM")"}) {
    EXPECT_NE(body.find(part), std::string::npos) << part << " in " << body;
  }
}

TEST_F(CertificateObjectTest, ANameThatExistsIsLookedUpAndUsed) {
  error(400, "APIG.3325");
  transport_.respond(200, R"({"total":2,"certs":[)" +
                              object_json("other", std::string(kName) + "x", "i1") + "," +
                              object_json("found", kName, "i1") + "]}");
  const ObjectResult result = ensure();
  EXPECT_EQ(result.id, "found");
  EXPECT_FALSE(result.created);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(requests(),
            (std::vector<std::string>{"POST /certificates",
                                      "GET /certificates?instance_id=i1&limit=500&name=" +
                                          std::string(kName) + "&type=instance"}));
}

TEST_F(CertificateObjectTest, ANameThatExistsOnlyElsewhereFailsAndSaysWhy) {
  error(400, "APIG.3325");
  transport_.respond(200, R"({"total":1,"certs":[)" + object_json("x", kName, "i2") + "]}");
  const ObjectResult result = ensure();
  EXPECT_TRUE(result.id.empty());
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->to_string().find("has none of that name"), std::string::npos)
      << result.error->to_string();
  EXPECT_EQ(result.requests, 2);
}

// A 5xx may have created it: the name is looked up before a second create.
TEST_F(CertificateObjectTest, ACreateWhoseOutcomeIsUnknownIsLookedUpBeforeSendingAgain) {
  error(503, "APIG.9999");
  transport_.respond(200, R"({"total":1,"certs":[)" + object_json("landed", kName, "i1") + "]}");
  const ObjectResult result = ensure();
  EXPECT_EQ(result.id, "landed");
  EXPECT_EQ(result.writes, 1);
  EXPECT_EQ(clock_.sleeps(), 1);
}

TEST_F(CertificateObjectTest, ACreateThatDidNotLandIsSentAgainAfterTheLookUp) {
  transport_.fail_with(Error(ErrorCode::Timeout, "timed out"));
  transport_.respond(200, R"({"total":0,"certs":[]})");
  transport_.respond(200, object_json("obj", kName, "i1"));
  const ObjectResult result = ensure();
  EXPECT_EQ(result.id, "obj");
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.writes, 2);
  EXPECT_EQ(requests().size(), 3U);
}

TEST_F(CertificateObjectTest, ARejectedCertificateIsNotRetried) {
  error(400, "APIG.2101");
  const ObjectResult result = ensure();
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->to_string().find("APIG.2101"), std::string::npos);
  EXPECT_EQ(result.requests, 1);
  EXPECT_EQ(clock_.sleeps(), 0);
}

}  // namespace
}  // namespace apig_certd::engine::certificate_object_test
