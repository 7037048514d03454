#include "daemon/notify/payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"

namespace apig_certd::notify::payload_test {
namespace {

SystemTime at(const char* text) {
  return *parse_utc_iso8601(text);
}

Change change_of(NotifyEvent event, state::TargetState target) {
  Change change;
  change.event = event;
  change.key = "k";
  change.sha256 = target.bound_sha256;
  change.not_after = target.bound_not_after;
  change.certificate_name = target.bound_name;
  change.target = std::move(target);
  return change;
}

state::TargetState bound_target() {
  state::TargetState target;
  target.binding = "site";
  target.instance_id = "i1";
  target.group_id = "g1";
  target.domain = "www.example.com";
  target.domain_id = "d1";
  target.bound_sha256 = "ab12";
  target.bound_name = "site_20270131_ab12cd34";
  target.bound_not_after = at("2027-01-31T12:00:00Z");
  target.last_result = state::TargetResult::Bound;
  return target;
}

TEST(NotifyPayload, CarriesTheTargetTheCertificateAndTheTime) {
  const nlohmann::json body = nlohmann::json::parse(payload_json(
      change_of(NotifyEvent::Bound, bound_target()), at("2026-11-28T13:00:00Z"), "web1"));
  EXPECT_EQ(body["event"], "bound");
  EXPECT_EQ(body["binding"], "site");
  EXPECT_EQ(body["domain"], "www.example.com");
  EXPECT_EQ(body["domain_id"], "d1");
  EXPECT_EQ(body["instance_id"], "i1");
  EXPECT_EQ(body["group_id"], "g1");
  EXPECT_EQ(body["sha256"], "ab12");
  EXPECT_EQ(body["certificate_name"], "site_20270131_ab12cd34");
  EXPECT_EQ(body["not_after"], "2027-01-31T12:00:00Z");
  EXPECT_EQ(body["result"], "bound");
  EXPECT_TRUE(body["error"].is_null());
  EXPECT_EQ(body["time"], "2026-11-28T13:00:00Z");
  EXPECT_EQ(body["host"], "web1");
}

TEST(NotifyPayload, AFailureCarriesItsErrorEscaped) {
  state::TargetState target = bound_target();
  target.last_result = state::TargetResult::Failed;
  target.last_error = state::LastError{"APIG.2101", "key \"mismatch\"\nsecond line", {}};
  Change change = change_of(NotifyEvent::Failed, target);
  change.not_after.reset();
  const nlohmann::json body = nlohmann::json::parse(payload_json(change, {}, "h"));
  EXPECT_EQ(body["event"], "failed");
  EXPECT_EQ(body["error"]["code"], "APIG.2101");
  EXPECT_EQ(body["error"]["message"], "key \"mismatch\"\nsecond line");
  EXPECT_TRUE(body["not_after"].is_null());
}

TEST(NotifyPayload, ARecoveredTargetHasNoError) {
  state::TargetState target = bound_target();
  target.last_result = state::TargetResult::InSync;
  target.last_error = state::LastError{"old", "old", {}};
  const nlohmann::json body =
      nlohmann::json::parse(payload_json(change_of(NotifyEvent::Recovered, target), {}, "h"));
  EXPECT_TRUE(body["error"].is_null());
}

}  // namespace
}  // namespace apig_certd::notify::payload_test
