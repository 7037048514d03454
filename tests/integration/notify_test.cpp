// [[notify]] webhooks (issue 9, part 2): the real binary against apig-sim, its notifications
// received by a loopback HTTPS server (webhook_receiver.h) with a certificate made at test
// time. What each event means is in daemon/notify/changes.h and the README; these tests check
// that the binary sends exactly those, with the headers of the headers file, retried after a
// 500, without ever blocking or failing a rotation on a webhook that is down, and that the
// headers file's token never shows up anywhere apig-certd writes.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/run_fixture.h"
#include "tests/integration/sync_fixture.h"
#include "tests/integration/webhook_receiver.h"
#include "tests/support/closed_port.h"

namespace apig_certd::testing::notify_test {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr const char* kWebhookToken = "notify-test-webhook-token-never-printed-4e1f";
constexpr const char* kUrlToken = "notify-test-url-path-token-never-printed-9a3c";
constexpr const char* kDomain = "www.example.com";

TestChain certificate(int days) {
  return make_chain({.sans = {kDomain}, .not_after_offset = hours(24 * days)}, KeyKind::Rsa2048);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> events_of(const std::vector<json>& bodies) {
  std::vector<std::string> events;
  for (const json& body : bodies) {
    events.push_back(body.value("event", "?"));
  }
  return events;
}

using Events = std::vector<std::string>;

// Shared by the sync and run fixtures: the receiver, the headers file and the secret checks.
template <typename Base>
class WebhookTest : public Base {
 protected:
  void SetUp() override {
    Base::SetUp();
    receiver_ = std::make_unique<WebhookReceiver>(this->server_certificate_, this->server_key_);
    ASSERT_TRUE(receiver_->running());
    headers_file_ = this->temp_dir_.write(
        "webhook-headers", std::string("# the team's webhook\nAuthorization: Bearer ") +
                               kWebhookToken + "\n\nX-Team: platform\n");
  }

  void TearDown() override {
    // The bodies are apig-certd's output too: scanned for keys and credentials like the rest.
    for (WebhookReceiver* receiver : {receiver_.get(), other_receiver_.get()}) {
      if (receiver != nullptr) {
        for (const ReceivedWebhook& request : receiver->received()) {
          this->outputs_ += request.body + "\n";
        }
      }
    }
    Base::TearDown();  // for `run`: stops the daemon and adds what it printed to outputs_
    for (const char* secret : {kWebhookToken, kUrlToken}) {
      EXPECT_FALSE(contains(this->outputs_, secret)) << "leaked: " << secret;
    }
    archive_canaries({kWebhookToken, kUrlToken});
    receiver_.reset();
    other_receiver_.reset();
  }

  void start_site(int days = 90) {
    this->start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    const TestChain site = certificate(days);
    site_sha256_ = sha256_fingerprint(site.leaf);
    this->write_certificate("site", site);
    this->add_binding("site", {{"g1", kDomain}});
  }

  void add_notify(const std::string& url, const std::string& extra = "") {
    this->bindings_ += "\n[[notify]]\nurl = \"" + url + "\"\n" + extra;
  }

  // Every bind (POST .../certificate) matching `path_regex` fails with APIG.2101, for good.
  void add_key_mismatch_fault(const std::string& path_regex) {
    this->add_fault({{"method", "POST"},
                     {"path_regex", path_regex},
                     {"status", 400},
                     {"count", -1},
                     {"body", R"({"error_code":"APIG.2101","error_msg":"key mismatch"})"}});
  }

  std::string headers_line() const { return "headers_file = \"" + headers_file_.string() + "\"\n"; }

  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<WebhookReceiver> other_receiver_;
  std::filesystem::path headers_file_;
  std::string site_sha256_;  // of the certificate start_site() wrote
};

using NotifySyncTest = WebhookTest<SyncTest>;
using NotifyRunTest = WebhookTest<RunTest>;

TEST_F(NotifySyncTest, BoundOnTheFirstBindWithHeadersAndNothingWhileInSync) {
  start_site();
  add_notify(receiver_->url(), headers_line());
  const ProcessResult first = sync();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  // sync delivers before it exits.
  const std::vector<ReceivedWebhook> received = receiver_->received();
  ASSERT_EQ(received.size(), 1U) << first.err;
  EXPECT_EQ(received[0].path, "/hook");
  EXPECT_EQ(received[0].headers.at("authorization"), std::string("Bearer ") + kWebhookToken);
  EXPECT_EQ(received[0].headers.at("x-team"), "platform");
  EXPECT_EQ(received[0].headers.at("content-type"), "application/json");
  const json body = json::parse(received[0].body);
  EXPECT_EQ(body["event"], "bound");
  EXPECT_EQ(body["binding"], "site");
  EXPECT_EQ(body["domain"], kDomain);
  EXPECT_EQ(body["group_id"], "g1");
  EXPECT_EQ(body["instance_id"], kSyncInstance);
  EXPECT_EQ(body["sha256"], site_sha256_);
  EXPECT_EQ(body["certificate_name"], sim_bound_certificate(kDomain)["name"]);
  EXPECT_TRUE(body["not_after"].is_string()) << body;
  EXPECT_EQ(body["result"], "bound");
  EXPECT_TRUE(body["error"].is_null());
  EXPECT_TRUE(body["time"].is_string());

  const ProcessResult again = sync();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(receiver_->received().size(), 1U) << "a notification while in sync";
}

TEST_F(NotifySyncTest, FailedOnceThenRecovered) {
  start_site();
  add_notify(receiver_->url());
  ASSERT_EQ(sync().exit_code, 0);
  receiver_->clear();

  this->write_certificate("site", certificate(120));
  add_key_mismatch_fault("/certificate$");
  EXPECT_EQ(sync().exit_code, 1);
  std::vector<json> delivered = receiver_->delivered();
  ASSERT_EQ(events_of(delivered), Events{"failed"});
  EXPECT_EQ(delivered[0]["result"], "failed");
  EXPECT_EQ(delivered[0]["error"]["code"], "APIG.2101");
  EXPECT_TRUE(delivered[0]["error"]["message"].is_string());

  // The same failure on the next attempt is not news.
  EXPECT_EQ(sync().exit_code, 1);
  EXPECT_EQ(receiver_->delivered().size(), 1U);

  clear_faults();
  ASSERT_EQ(sync().exit_code, 0);
  delivered = receiver_->delivered();
  EXPECT_EQ(events_of(delivered), (Events{"failed", "bound", "recovered"}));
  EXPECT_TRUE(delivered.back()["error"].is_null());
}

TEST_F(NotifySyncTest, ExpiringOncePerCertificate) {
  renew_warning_ = "30d";
  start_site(20);
  add_notify(receiver_->url());
  ASSERT_EQ(sync().exit_code, 0);
  std::vector<json> delivered = receiver_->delivered();
  ASSERT_EQ(events_of(delivered), (Events{"bound", "expiring"}));
  EXPECT_EQ(delivered[1]["sha256"], site_sha256_);
  EXPECT_TRUE(contains(read_file(state_file()), "\"expiring_sha256\": \"" + site_sha256_ + "\""));

  ASSERT_EQ(sync().exit_code, 0);
  ASSERT_EQ(sync().exit_code, 0);
  EXPECT_EQ(receiver_->delivered().size(), 2U);
}

TEST_F(NotifySyncTest, RepairedDriftIsDriftAndBound) {
  start_site();
  add_notify(receiver_->url());
  ASSERT_EQ(sync().exit_code, 0);
  bind_out_of_band("g1", kDomain, "console_cert", certificate(30));
  receiver_->clear();

  ASSERT_EQ(sync().exit_code, 0);
  const std::vector<json> delivered = receiver_->delivered();
  ASSERT_EQ(events_of(delivered), (Events{"drift", "bound"}));
  EXPECT_EQ(delivered[0]["sha256"], site_sha256_);
}

TEST_F(NotifySyncTest, ReportedDriftOnce) {
  drift_ = "report";
  start_site();
  add_notify(receiver_->url(), "on = [\"drift\"]\n");
  ASSERT_EQ(sync().exit_code, 0);
  bind_out_of_band("g1", kDomain, "console_cert", certificate(30));

  EXPECT_EQ(sync().exit_code, 1);
  EXPECT_EQ(sync().exit_code, 1);
  const std::vector<json> delivered = receiver_->delivered();
  ASSERT_EQ(events_of(delivered), Events{"drift"});
  EXPECT_EQ(delivered[0]["result"], "drift");
}

TEST_F(NotifySyncTest, RetriedAfterAServerError) {
  start_site();
  add_notify(receiver_->url());
  receiver_->fail_next(2);
  const ProcessResult result = sync();
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::vector<ReceivedWebhook> received = receiver_->received();
  ASSERT_EQ(received.size(), 3U) << result.err;
  EXPECT_EQ(received[0].status, 500);
  EXPECT_EQ(received[1].status, 500);
  EXPECT_EQ(received[2].status, 200);
  EXPECT_EQ(received[0].body, received[2].body);
}

TEST_F(NotifySyncTest, ADeadWebhookNeitherBlocksNorFailsTheRotation) {
  start_site();
  // Nothing listens there; the URL's path carries a token that must never be printed.
  add_notify("https://127.0.0.1:" + std::to_string(closed_port()) + "/hook/" + kUrlToken);
  add_notify(receiver_->url());
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(line_for(result, kDomain).starts_with("bound: ")) << result.out;
  EXPECT_EQ(sim_bound_certificate(kDomain)["fingerprint"], site_sha256_);
  EXPECT_TRUE(contains(result.err, "not delivered")) << result.err;
  EXPECT_EQ(events_of(receiver_->delivered()), Events{"bound"});
}

TEST_F(NotifySyncTest, EachWebhookGetsOnlyTheEventsItListensFor) {
  start_site();
  add_notify(receiver_->url("/failures"), "on = [\"failed\", \"recovered\"]\n");
  add_notify(receiver_->url("/binds"), "on = [\"bound\"]\n");
  ASSERT_EQ(sync().exit_code, 0);
  const std::vector<ReceivedWebhook> received = receiver_->received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].path, "/binds");
}

TEST_F(NotifySyncTest, AnUntrustedCertificateIsRefusedUnlessItsCaIsGiven) {
  const TestCa other_ca = TestCa::create("another CA");
  const TestKey key = make_key(KeyKind::EcP256);
  const auto other_ca_file = temp_dir_.write("other-ca.pem", other_ca.pem());
  other_receiver_ = std::make_unique<WebhookReceiver>(
      temp_dir_.write("other.pem",
                      other_ca.issue({.ip_sans = {"127.0.0.1"}, .common_name = "127.0.0.1"}, key)),
      temp_dir_.write("other.key", key.pem()));
  ASSERT_TRUE(other_receiver_->running());
  start_site();
  add_notify(other_receiver_->url("/untrusted"));
  add_notify(other_receiver_->url("/trusted"), "ca_file = \"" + other_ca_file.string() + "\"\n");
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "not delivered")) << result.err;
  const std::vector<ReceivedWebhook> received = other_receiver_->received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].path, "/trusted");
}

TEST_F(NotifySyncTest, AnInvalidHeadersFileIsAConfigError) {
  start_site();
  const auto bad = temp_dir_.write(
      "bad-headers", std::string("Authorization: Bearer ") + kWebhookToken + "\nno colon\n");
  add_notify(receiver_->url(), "headers_file = \"" + bad.string() + "\"\n");
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 78) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, bad.string() + ":2:")) << result.err;
  EXPECT_TRUE(receiver_->received().empty());
}

TEST_F(NotifyRunTest, TheDaemonNotifiesAFailureOnceAcrossItsRetriesThenTheRecovery) {
  start_site();
  add_notify(receiver_->url());
  add_key_mismatch_fault("/certificate$");
  rescan_ = "1s";  // a pass every second, each one retrying (or waiting out) the failure
  start_daemon();
  wait_ready();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count_requests("POST", "/certificate") < 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_GE(count_requests("POST", "/certificate"), 3) << daemon_->stderr_text();
  ASSERT_TRUE(receiver_->wait_delivered(1, milliseconds(10'000))) << daemon_->stderr_text();
  EXPECT_EQ(events_of(receiver_->delivered()), Events{"failed"});

  clear_faults();
  ASSERT_TRUE(receiver_->wait_delivered(3, milliseconds(20'000))) << daemon_->stderr_text();
  EXPECT_EQ(events_of(receiver_->delivered()), (Events{"failed", "bound", "recovered"}));
}

// The daemon's passes for one target of a binding (those that record what a CNAME poll found:
// 1 -> 2, then 2 -> 3) also see its other target waiting out the backoff of a failure: those
// passes are not a new failure either.
TEST_F(NotifyRunTest, AFailureWaitingOutItsBackoffIsNotNotifiedAgain) {
  start_sim(json::array(
      {sim_group("g1", json::array({sim_domain("g1", kDomain, {3}),
                                    sim_domain("g1", "api.example.com", {1, 1, 2, 2, 2, 3})}))}));
  const auto write_site = [this] {
    write_certificate("site", make_chain({.sans = {kDomain, "api.example.com"}}, KeyKind::Rsa2048));
  };
  write_site();
  add_binding("site", {{"g1", kDomain}, {"g1", "api.example.com"}});
  add_notify(receiver_->url());
  add_key_mismatch_fault("g1-www/certificate$");
  start_daemon();
  wait_ready();
  ASSERT_TRUE(daemon_->wait_for_stderr("waiting until", milliseconds(20'000), 2))
      << daemon_->stderr_text();
  ASSERT_TRUE(daemon_->wait_for_stderr("CNAME resolved", milliseconds(20'000)))
      << daemon_->stderr_text();
  ASSERT_TRUE(receiver_->wait_delivered(2, milliseconds(10'000))) << daemon_->stderr_text();
  const auto events_for = [this](const std::string& domain) {
    std::vector<json> mine;
    for (const json& body : receiver_->delivered()) {
      if (body.value("domain", "") == domain) {
        mine.push_back(body);
      }
    }
    return events_of(mine);
  };
  EXPECT_EQ(events_for(kDomain), Events{"failed"});
  EXPECT_EQ(events_for("api.example.com"), Events{"bound"});
  // The passes that waited kept the real failure on record: its APIG error, and one
  // consecutive failure per bind actually tried (they once recorded code "wait" and counted
  // each wait as a failure).
  const json www = [this] {
    const json state = json::parse(read_file(state_file()));
    for (const auto& [key, target] : state["targets"].items()) {
      if (target.value("domain", "") == kDomain) {
        return target;
      }
    }
    return json();
  }();
  ASSERT_TRUE(www.is_object()) << read_file(state_file());
  EXPECT_EQ(www["last_result"], "failed");
  EXPECT_EQ(www["last_error"]["code"], "APIG.2101") << www.dump(2);
  EXPECT_GE(www["consecutive_failures"].get<int>(), 1);
  EXPECT_LE(www["consecutive_failures"].get<int>(), count_requests("POST", "g1-www/certificate"))
      << www.dump(2) << describe_requests();

  // A renewal (another certificate) with the fault gone: bound everywhere, www recovered.
  clear_faults();
  write_site();
  ASSERT_TRUE(receiver_->wait_delivered(5, milliseconds(20'000))) << daemon_->stderr_text();
  EXPECT_EQ(events_for(kDomain), (Events{"failed", "bound", "recovered"}));
  EXPECT_EQ(events_for("api.example.com"), (Events{"bound", "bound"}));
}

TEST_F(NotifyRunTest, TheDaemonNotifiesAndStopsPromptlyWithADeadWebhook) {
  start_site();
  add_notify("https://127.0.0.1:" + std::to_string(closed_port()) + "/hook/" + kUrlToken);
  add_notify(receiver_->url(), headers_line());
  start_daemon();
  wait_ready();
  ASSERT_TRUE(receiver_->wait_delivered(1, milliseconds(20'000))) << daemon_->stderr_text();
  EXPECT_EQ(events_of(receiver_->delivered()), Events{"bound"});
  EXPECT_EQ(receiver_->received()[0].headers.at("authorization"),
            std::string("Bearer ") + kWebhookToken);
  // The dead webhook is still being retried; SIGTERM cuts that short (bounded) and exits 0.
  EXPECT_EQ(daemon_->stop(milliseconds(15'000)), 0) << daemon_->stderr_text();
}

}  // namespace
}  // namespace apig_certd::testing::notify_test
