// The bind state machine (bind.h), every edge driven table-style: a fake transport answers
// each request from a script, a fake clock takes the backoff sleeps, and each row checks the
// requests sent, whether the certificate counts as written, and why not.

#include "daemon/engine/bind.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace apig_certd::engine::bind_test {
namespace {

using std::chrono::seconds;

constexpr std::string_view kOurs = "www_20270101_abcdef01";

class NoAuth final : public auth::Authenticator {
 public:
  Result<void> authorize(http::Request& /*request*/) override { return {}; }
  bool refresh_after_unauthorized() override { return false; }
  std::string_view method_name() const override { return "none"; }
};

using Answer = std::function<void(testing::FakeTransport&)>;

Answer bound_now() {
  return [](testing::FakeTransport& t) {
    t.respond(201, R"({"id":"d1","url_domain":"www.example.com","ssl_id":"new",)"
                   R"("ssl_name":"www_20270101_abcdef01","status":2})");
  };
}
Answer apig_error(long status, std::string code, std::vector<http::Header> headers = {}) {
  return [=](testing::FakeTransport& t) {
    t.respond(status, R"({"error_code":")" + code + R"(","error_msg":"no"})", headers);
  };
}
Answer timeout() {
  return [](testing::FakeTransport& t) { t.fail_with(Error(ErrorCode::Timeout, "timed out")); };
}
// A group read: the domain serves `name` ("" for nothing).
Answer group_serving(std::string name) {
  return [=](testing::FakeTransport& t) {
    t.respond(200, R"({"id":"g1","url_domains":[{"id":"d1","domain":"www.example.com",)"
                   R"("cname_status":3,"ssl_id":")" +
                       (name.empty() ? std::string() : "ssl-" + name) + R"(","ssl_name":")" + name +
                       R"("}]})");
  };
}
Answer empty(long status) {
  return [=](testing::FakeTransport& t) { t.respond(status, ""); };
}
// The certificate object "old" (GET or PUT /certificates/old): an instance object of i1
// with an ECC key, carrying a CA for client certificates when `with_ca`.
Answer certificate(bool with_ca = false) {
  return [=](testing::FakeTransport& t) {
    t.respond(200, std::string(R"({"id":"old","name":"www_20270101_abcdef01","type":"instance",)"
                               R"("instance_id":"i1","algorithm_type":"ECC",)"
                               R"("is_has_trusted_root_ca":)") +
                       (with_ca ? "true}" : "false}"));
  };
}

// The target every case writes to, and a job for it.
settings::TargetSettings the_target() {
  settings::TargetSettings target;
  target.instance_id = "i1";
  target.group_id = "g1";
  target.domain = "www.example.com";
  return target;
}

BindJob job_for(const settings::TargetSettings& target) {
  BindJob job;
  job.target = &target;
  job.domain_id = "d1";
  job.certificate_name = std::string(kOurs);
  return job;
}

// Runs `job` over a client whose transport is `transport`.
BindResult bind_with(testing::FakeTransport& transport, const BindJob& job, RetryBudget& retry,
                     std::string_view client_ca = {}) {
  NoAuth auth;
  apig::Client client(transport, auth, {"https://apig.example", "proj", seconds(5)});
  const Secret key("key");
  return run_bind(job, {kOurs, "cert", &key, client_ca}, client, retry);
}

struct Row {
  std::string name{};
  // The job: what is bound, and how the write may go.
  std::string bound_ssl_id{};
  bool update = false;
  MakeRoom make_room = MakeRoom::Delete;
  bool replicas = false;
  bool stop = false;                 // the daemon is stopping
  bool client_verification = false;  // the domain verifies client certificates (mTLS)
  std::string client_ca{};           // the upload's trusted_root_ca
  std::string attach_id{};           // strategy "attach": the object to attach
  std::vector<Answer> answers{};
  // Expected.
  std::vector<std::string> requests{};  // "POST", "GET", ...
  bool written = false;
  std::string ssl_id{};
  std::string error{};  // a part of the error's text; "" when written
  std::vector<std::string> deleted{};
  std::vector<std::string> detached{};
  int sleeps = 0;
  std::vector<std::string> put_body_has{};  // in every PUT's body
  std::size_t warnings = 0;
  std::string attach_body = R"({"certificate_ids":["obj"]})";  // of every attach
};

class BindTest : public ::testing::TestWithParam<Row> {};

TEST_P(BindTest, FollowsItsEdges) {
  const Row& row = GetParam();
  testing::FakeTransport transport;
  for (const Answer& answer : row.answers) {
    answer(transport);
  }
  testing::FakeClock clock;
  const settings::RetrySettings retry_settings{seconds(5), seconds(60)};
  std::mt19937_64 random(7);
  StopSignal stop;
  if (row.stop) {
    stop.request();
  }
  RetryBudget retry(clock, retry_settings, std::nullopt, seconds(600), random, &stop);
  const settings::TargetSettings target = the_target();
  BindJob job = job_for(target);
  job.bound_ssl_id = row.bound_ssl_id;
  job.bound_name = row.bound_ssl_id.empty() ? "" : "old_name";
  job.update = row.update;
  job.make_room = row.make_room;
  job.replicas = row.replicas;
  job.client_verification = row.client_verification;
  job.attach_id = row.attach_id;
  const BindResult result = bind_with(transport, job, retry, row.client_ca);

  std::vector<std::string> methods;
  for (const testing::RecordedRequest& request : transport.requests()) {
    methods.push_back(request.method);
  }
  EXPECT_EQ(methods, row.requests);
  EXPECT_EQ(result.requests, static_cast<int>(row.requests.size()));
  EXPECT_EQ(result.written, row.written);
  EXPECT_EQ(result.ssl_id, row.ssl_id);
  if (row.error.empty()) {
    EXPECT_FALSE(result.error) << result.error->to_string();
  } else {
    ASSERT_TRUE(result.error);
    EXPECT_NE(result.error->to_string().find(row.error), std::string::npos)
        << result.error->to_string();
  }
  EXPECT_EQ(result.deleted, row.deleted);
  EXPECT_EQ(result.detached, row.detached);
  EXPECT_EQ(result.warnings.size(), row.warnings);
  // Making room by deleting uses DELETE .../certificate/{id}; by detaching, the domain's
  // detach call with the id, never a DELETE.
  for (const testing::RecordedRequest& request : transport.requests()) {
    if (request.url.ends_with("/certificates/attach")) {
      EXPECT_TRUE(request.url.ends_with("/domains/d1/certificates/attach")) << request.url;
      EXPECT_EQ(request.body, row.attach_body);
    }
    if (request.url.ends_with("/certificates/detach")) {
      EXPECT_EQ(request.method, "POST");
      EXPECT_TRUE(request.url.ends_with("/domains/d1/certificates/detach")) << request.url;
      EXPECT_EQ(request.body, R"({"certificate_ids":["old"]})");
    }
    for (const std::string& part : row.put_body_has) {
      if (request.method == "PUT") {
        EXPECT_NE(request.body.find(part), std::string::npos) << request.body;
      }
    }
    if (request.method == "DELETE") {
      EXPECT_TRUE(request.url.ends_with("/domains/d1/certificate/old")) << request.url;
    }
  }
  EXPECT_EQ(clock.sleeps(), row.sleeps);
}

const std::vector<Row> kRows = {
    {.name = "FirstPostBinds",
     .answers = {bound_now()},
     .requests = {"POST"},
     .written = true,
     .ssl_id = "new"},
    // APIG may leave ssl_id empty for an ECC certificate: no read of its own for it (the
    // poll's group reads and the next pass learn it by name; engine/outcome.cpp).
    {.name = "AnAnswerWithoutSslIdIsWrittenWithoutAnotherRequest",
     .answers = {[](testing::FakeTransport& t) {
       t.respond(201, R"({"id":"d1","url_domain":"www.example.com","ssl_id":"",)"
                      R"("ssl_name":"","status":3})");
     }},
     .requests = {"POST"},
     .written = true,
     .ssl_id = ""},
    {.name = "A5xxMayHaveLandedSoTheGroupIsReadBeforeSendingAgain",
     .answers = {apig_error(503, "APIG.9999"), group_serving(std::string(kOurs))},
     .requests = {"POST", "GET"},
     .written = true,
     .ssl_id = "ssl-www_20270101_abcdef01",
     .sleeps = 1},
    {.name = "ATimeoutThatDidNotLandIsSentAgainAfterTheReRead",
     .answers = {timeout(), group_serving(""), bound_now()},
     .requests = {"POST", "GET", "POST"},
     .written = true,
     .ssl_id = "new",
     .sleeps = 1},
    {.name = "A429IsRetriedWithoutAReRead",
     .answers = {apig_error(429, "APIG.1111"), bound_now()},
     .requests = {"POST", "POST"},
     .written = true,
     .ssl_id = "new",
     .sleeps = 1},
    {.name = "ReplicasReReadBeforeEveryRetry",
     .replicas = true,
     .answers = {apig_error(429, "APIG.1111"), group_serving("other"), bound_now()},
     .requests = {"POST", "GET", "POST"},
     .written = true,
     .ssl_id = "new",
     .sleeps = 1},
    {.name = "ARefusedSecondBindMakesRoomThenSendsAgainAtOnce",
     .bound_ssl_id = "old",
     .answers = {apig_error(400, "APIG.2051"), empty(204), bound_now()},
     .requests = {"POST", "DELETE", "POST"},
     .written = true,
     .ssl_id = "new",
     .deleted = {"old"}},
    {.name = "MakingRoomForWhatIsAlreadyGoneCarriesOn",
     .bound_ssl_id = "old",
     .answers = {apig_error(400, "APIG.2051"), apig_error(404, "APIG.3010"), bound_now()},
     .requests = {"POST", "DELETE", "POST"},
     .written = true,
     .ssl_id = "new",
     .deleted = {"old"}},
    {.name = "AForeignCertificateIsDetachedNotDeleted",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .answers = {apig_error(400, "APIG.2051"), empty(204), bound_now()},
     .requests = {"POST", "POST", "POST"},
     .written = true,
     .ssl_id = "new",
     .detached = {"old"}},
    {.name = "DetachingWhatIsAlreadyGoneCarriesOn",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .answers = {apig_error(400, "APIG.2051"), apig_error(404, "APIG.3097"), bound_now()},
     .requests = {"POST", "POST", "POST"},
     .written = true,
     .ssl_id = "new",
     .detached = {"old"}},
    {.name = "AFailedDetachFailsTheWrite",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .answers = {apig_error(400, "APIG.2051"), apig_error(403, "APIG.1005")},
     .requests = {"POST", "POST"},
     .error = "detaching certificate 'old'"},
    {.name = "ARefusedBindOverAForeignCertificateWithDriftReportFails",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Refuse,
     .answers = {apig_error(400, "APIG.2051")},
     .requests = {"POST"},
     .error = "not detaching it because drift = \"report\""},
    {.name = "ARefusedBindWithNothingToMakeRoomForFails",
     .answers = {apig_error(400, "APIG.2051")},
     .requests = {"POST"},
     .error = "APIG.2051"},
    {.name = "ARefusalAfterAnUnknownOutcomeIsOursLanding",
     .answers = {timeout(), group_serving(""), apig_error(400, "APIG.2051"),
                 group_serving(std::string(kOurs))},
     .requests = {"POST", "GET", "POST", "GET"},
     .written = true,
     .ssl_id = "ssl-www_20270101_abcdef01",
     .sleeps = 1},
    {.name = "AFailedDeleteFailsTheWrite",
     .bound_ssl_id = "old",
     .answers = {apig_error(400, "APIG.2051"), apig_error(403, "APIG.1005")},
     .requests = {"POST", "DELETE"},
     .error = "replacing certificate 'old_name'"},
    {.name = "ARejectedCertificateIsNotRetried",
     .answers = {apig_error(400, "APIG.2101")},
     .requests = {"POST"},
     .error = "APIG.2101"},
    {.name = "AStoppingDaemonDoesNotRetry",
     .stop = true,
     .answers = {apig_error(503, "APIG.9999")},
     .requests = {"POST"},
     .error = "not retried: apig-certd is stopping"},
    // A PUT sends the create body: the object's own type, instance and algorithm go back, or
    // APIG would read the defaults (a global RSA object).
    {.name = "UpdateRewritesOurObjectInPlace",
     .bound_ssl_id = "old",
     .update = true,
     .answers = {certificate(), certificate()},
     .requests = {"GET", "PUT"},
     .written = true,
     .ssl_id = "old",
     .put_body_has = {R"("type":"instance")", R"("instance_id":"i1")",
                      R"("algorithm_type":"ECC")"}},
    {.name = "UpdateOfAnObjectDeletedInTheConsoleBindsAfresh",
     .bound_ssl_id = "old",
     .update = true,
     .answers = {apig_error(404, "APIG.3021"), bound_now()},
     .requests = {"GET", "POST"},
     .written = true,
     .ssl_id = "new"},
    {.name = "UpdateOfAnObjectDeletedBetweenReadAndWriteBindsAfresh",
     .bound_ssl_id = "old",
     .update = true,
     .answers = {certificate(), apig_error(404, "APIG.3021"), bound_now()},
     .requests = {"GET", "PUT", "POST"},
     .written = true,
     .ssl_id = "new"},
    {.name = "AnIdempotentUpdateIsRetriedWithoutAReRead",
     .bound_ssl_id = "old",
     .update = true,
     .answers = {certificate(), apig_error(503, "APIG.9999"), certificate(), certificate()},
     .requests = {"GET", "PUT", "GET", "PUT"},
     .written = true,
     .ssl_id = "old",
     .sleeps = 1},
    // mTLS: the CA goes into every PUT; an object with a CA is never rewritten without one,
    // and a vanished object is not replaced by a bind, which would switch verification off.
    {.name = "UpdateCarriesTheClientCa",
     .bound_ssl_id = "old",
     .update = true,
     .client_verification = true,
     .client_ca = "-----BEGIN CERTIFICATE-----\nCA\n",
     .answers = {certificate(true), certificate(true)},
     .requests = {"GET", "PUT"},
     .written = true,
     .ssl_id = "old",
     .put_body_has = {R"("trusted_root_ca":"-----BEGIN CERTIFICATE-----\nCA\n")"}},
    {.name = "AnObjectWithACaIsNeverRewrittenWithoutOne",
     .bound_ssl_id = "old",
     .update = true,
     .answers = {certificate(true)},
     .requests = {"GET"},
     .error = "would drop it"},
    {.name = "AVanishedObjectOnAnMtlsDomainIsNotReplacedByABind",
     .bound_ssl_id = "old",
     .update = true,
     .client_verification = true,
     .client_ca = "-----BEGIN CERTIFICATE-----\nCA\n",
     .answers = {apig_error(404, "APIG.3021")},
     .requests = {"GET"},
     .error = "cannot carry client_ca"},
    // Strategy "attach": the object made once per instance (certificate_object.h) is attached,
    // then what it supersedes is detached; never a DELETE (cleanup deletes objects).
    {.name = "AttachThenDetachesWhatItSupersedes",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .attach_id = "obj",
     .answers = {empty(204), empty(204)},
     .requests = {"POST", "POST"},
     .written = true,
     .ssl_id = "obj",
     .detached = {"old"}},
    {.name = "AnAttachThatReplacedTheOldCertificateNeedsNoDetach",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .attach_id = "obj",
     .answers = {empty(204), apig_error(404, "APIG.3097")},
     .requests = {"POST", "POST"},
     .written = true,
     .ssl_id = "obj"},
    {.name = "ARefusedAttachDetachesFirstThenAttachesAgain",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .attach_id = "obj",
     .answers = {apig_error(400, "APIG.2051"), empty(204), empty(204)},
     .requests = {"POST", "POST", "POST"},
     .written = true,
     .ssl_id = "obj",
     .detached = {"old"}},
    {.name = "AnAttachKeepsAForeignCertificateWithDriftReport",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Refuse,
     .attach_id = "obj",
     .answers = {empty(204)},
     .requests = {"POST"},
     .written = true,
     .ssl_id = "obj"},
    {.name = "ADetachOfTheSupersededThatFailsOnlyWarns",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .attach_id = "obj",
     .answers = {empty(204), apig_error(403, "APIG.1005")},
     .requests = {"POST", "POST"},
     .written = true,
     .ssl_id = "obj",
     .warnings = 1},
    {.name = "ATransientDetachOfTheSupersededIsRetried",
     .bound_ssl_id = "old",
     .make_room = MakeRoom::Detach,
     .attach_id = "obj",
     .answers = {empty(204), apig_error(503, "APIG.9999"), empty(204)},
     .requests = {"POST", "POST", "POST"},
     .written = true,
     .ssl_id = "obj",
     .detached = {"old"},
     .sleeps = 1},
    {.name = "AnAttachWithAnUnknownOutcomeReReadsBeforeAttachingAgain",
     .attach_id = "obj",
     .answers = {timeout(), group_serving(std::string(kOurs))},
     .requests = {"POST", "GET"},
     .written = true,
     .ssl_id = "ssl-www_20270101_abcdef01",
     .sleeps = 1},
    {.name = "AnAttachToAnMtlsDomainKeepsItVerifyingClients",
     .client_verification = true,
     .attach_id = "obj",
     .answers = {empty(204)},
     .requests = {"POST"},
     .written = true,
     .ssl_id = "obj",
     .attach_body = R"({"certificate_ids":["obj"],"verified_client_certificate_enabled":true})"},
};

INSTANTIATE_TEST_SUITE_P(Edges, BindTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

// The budget: transient failures are retried until the next backoff would pass poll.timeout,
// and the error says so; a Retry-After longer than the backoff is honoured.
TEST(BindBudgetTest, GivesUpWhenTheNextBackoffWouldPassTheDeadline) {
  testing::FakeTransport transport;
  for (int i = 0; i < 50; ++i) {
    transport.respond(429, R"({"error_code":"APIG.1111"})", {{"Retry-After", "30"}});
  }
  testing::FakeClock clock;
  const MonotonicTime start = clock.monotonic_now();
  const settings::RetrySettings retry_settings{seconds(1), seconds(60)};
  std::mt19937_64 random(7);
  RetryBudget retry(clock, retry_settings, std::nullopt, seconds(100), random, nullptr);
  const settings::TargetSettings target = the_target();
  const BindResult result = bind_with(transport, job_for(target), retry);
  EXPECT_FALSE(result.written);
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->to_string().find("giving up after poll.timeout"), std::string::npos);
  // Every sleep honoured Retry-After (30 s): three fit in 100 s, the fourth would not.
  EXPECT_EQ(clock.sleeps(), 3);
  EXPECT_EQ(clock.monotonic_now() - start, seconds(90));
  EXPECT_EQ(transport.requests().size(), 4U);
}

}  // namespace
}  // namespace apig_certd::engine::bind_test
