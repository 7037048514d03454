// The state model's JSON: a full round trip of every field, the shape of the file, the files
// earlier versions wrote (every field, nulls, a "bundles" cache), forward compatibility
// (unknown fields) and ParseErrors that name the field.

#include "daemon/state/state.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"

namespace apig_certd::state::state_test {
namespace {

SystemTime at(std::string_view text) {
  const Result<SystemTime> time = parse_utc_iso8601(text);
  EXPECT_TRUE(time) << text;
  return time ? *time : SystemTime{};
}

TargetState full_target() {
  TargetState target;
  target.binding = "example";
  target.instance_id = "eddc4d25480b4cd6b512f270a1b8b341";
  target.group_id = "c77f5e81d9cb4424bf704ef2b0ac7600";
  target.domain = "www.example.com";
  target.domain_id = "d-1";
  target.disk_sha256 = "aa11";
  target.disk_not_after = at("2027-01-31T12:00:00Z");
  target.bound_sha256 = "bb22";
  target.bound_name = "apig-certd-www-example-com-20261101";
  target.ssl_id = "ssl-1";
  target.bound_at = at("2026-11-01T08:30:05Z");
  target.bound_not_after = at("2026-12-31T23:59:59Z");
  target.cname_status = 3;
  target.last_result = state::TargetResult::Failed;
  target.last_attempt = at("2026-11-02T00:00:00Z");
  target.last_error =
      LastError{"APIG.2101", "the certificate \"x\" is invalid", at("2026-11-02T00:00:01Z")};
  target.consecutive_failures = 4;
  target.next_attempt = at("2026-11-02T00:16:00Z");
  target.failed_sha256 = "cc33";
  target.verified_sha256 = "aa11";
  target.verified_at = at("2026-11-01T08:31:00Z");
  target.expiring_sha256 = "aa11";
  target.bind_successes = 7;
  target.bind_failures = 2;
  target.last_success = at("2026-11-01T08:31:00Z");
  target.created = {
      CreatedCertificate{"ssl-1", "name-1", "bb22", at("2026-11-01T08:30:00Z"), std::nullopt, ""},
      CreatedCertificate{"ssl-2", "name-2", "cc33", at("2026-11-02T00:00:00Z"),
                         at("2026-11-02T01:00:00Z"), "APIG.3470: still bound"},
  };
  return target;
}

std::string key_of(const TargetState& target) {
  return target_key(target.binding, target.instance_id, target.group_id, target.domain,
                    target.domain_id);
}

State parse_ok(std::string_view text) {
  const Result<State> state = parse_state(text);
  EXPECT_TRUE(state) << state.error().to_string();
  return state ? *state : State{};
}

Error parse_error(std::string_view text) {
  const Result<State> state = parse_state(text);
  EXPECT_FALSE(state) << text;
  return state ? Error(ErrorCode::Internal, "parsed") : state.error();
}

TEST(TargetKey, JoinsTheIdentity) {
  EXPECT_EQ(target_key("b", "inst", "grp", "www.example.com", "d-1"), "b/inst/grp/www.example.com");
}

TEST(TargetKey, UsesTheDomainIdWhenNoDomainIsConfigured) {
  EXPECT_EQ(target_key("b", "inst", "grp", "", "d-1"), "b/inst/grp/id:d-1");
}

TEST(StateJson, EmptyStateHasVersionAndNoTargets) {
  EXPECT_EQ(to_json(State{}), "{\n  \"targets\": {},\n  \"version\": 1\n}\n");
  EXPECT_EQ(parse_ok(to_json(State{})), State{});
}

TEST(StateJson, RoundTripsEveryField) {
  State state;
  const TargetState full = full_target();
  state.targets[key_of(full)] = full;
  TargetState by_id = full_target();
  by_id.domain.clear();
  by_id.created.clear();
  state.targets[key_of(by_id)] = by_id;

  const State parsed = parse_ok(to_json(state));
  EXPECT_EQ(parsed, state);
  ASSERT_EQ(parsed.targets.count("example/eddc4d25480b4cd6b512f270a1b8b341/"
                                 "c77f5e81d9cb4424bf704ef2b0ac7600/www.example.com"),
            1U);
  ASSERT_EQ(parsed.targets.count("example/eddc4d25480b4cd6b512f270a1b8b341/"
                                 "c77f5e81d9cb4424bf704ef2b0ac7600/id:d-1"),
            1U);
  // Serialising again gives the same bytes.
  EXPECT_EQ(to_json(parsed), to_json(state));
}

TEST(StateJson, LeavesOutFieldsAtTheirDefault) {
  State state;
  TargetState target;
  target.binding = "b";
  target.domain_id = "d";
  state.targets[key_of(target)] = target;
  const std::string text = to_json(state);
  EXPECT_EQ(text, R"({
  "targets": {
    "b///id:d": {
      "binding": "b",
      "domain_id": "d"
    }
  },
  "version": 1
}
)");
  const State parsed = parse_ok(text);
  EXPECT_EQ(parsed, state);
  const TargetState& back = parsed.targets.at("b///id:d");
  EXPECT_FALSE(back.disk_not_after);
  EXPECT_FALSE(back.bound_at);
  EXPECT_FALSE(back.bound_not_after);
  EXPECT_FALSE(back.last_attempt);
  EXPECT_FALSE(back.last_error);
  EXPECT_FALSE(back.next_attempt);
}

TEST(StateJson, WritesPrettyJsonWithSortedKeys) {
  State state;
  const TargetState target = full_target();
  state.targets[key_of(target)] = target;
  TargetState second = full_target();
  second.binding = "another";
  state.targets[key_of(second)] = second;
  const std::string text = to_json(state);
  EXPECT_TRUE(text.starts_with("{\n  \"targets\": {\n    \"another/")) << text;
  EXPECT_NE(text.find("      \"bind_failures\": 2,\n      \"bind_successes\": 7,\n"
                      "      \"binding\": \"example\",\n      \"bound_at\": "
                      "\"2026-11-01T08:30:05Z\",\n"),
            std::string::npos)
      << text;
  EXPECT_LT(text.find("\"created\""), text.find("\"disk_sha256\""));
  EXPECT_LT(text.find("\"another/"), text.find("\"example/"));
  EXPECT_NE(text.find("\"cname_status\": 3"), std::string::npos);
  EXPECT_TRUE(text.ends_with("  },\n  \"version\": 1\n}\n")) << text;
  // The same state, however it was built, gives the same bytes.
  State reversed;
  reversed.targets[key_of(second)] = second;
  reversed.targets[key_of(target)] = target;
  EXPECT_EQ(to_json(reversed), text);
}

TEST(StateJson, RoundTripsControlCharactersAndQuotes) {
  State state;
  TargetState odd = full_target();
  odd.binding = "odd \"name\" caf\xc3\xa9 \\ /";
  odd.last_error = LastError{"x", "line\nbreak\ttab \x01 \x7f", at("2026-11-02T00:00:01Z")};
  state.targets[key_of(odd)] = odd;
  const std::string text = to_json(state);
  EXPECT_NE(text.find(R"("line\nbreak\ttab \u0001)"), std::string::npos) << text;
  EXPECT_EQ(parse_ok(text), state);
}

// A state.json as apig-certd wrote it before issue 17 (the same version 1): every field in
// the order of the model, null for absent times, and the bundle cache, which is now ignored.
constexpr const char* kVersion1File = R"({
  "version": 1,
  "targets": {
    "b00000/eddc4d25480b4cd6b512f270a1b8b341/g0000/d00000.bench.example": {
      "binding": "b00000",
      "instance_id": "eddc4d25480b4cd6b512f270a1b8b341",
      "group_id": "g0000",
      "domain": "d00000.bench.example",
      "domain_id": "dom00000",
      "disk_sha256": "87f6708ea09563de423d653254514960168dc7a029b2f3e553e504efe4abf5de",
      "disk_not_after": "2027-03-04T16:08:40Z",
      "bound_sha256": "87f6708ea09563de423d653254514960168dc7a029b2f3e553e504efe4abf5de",
      "bound_name": "b00000_20270304_87f6708e",
      "ssl_id": "e33e6580d4ba55a7b1410464340e051f",
      "bound_at": "2026-12-04T16:08:44Z",
      "bound_not_after": "2027-03-04T16:08:40Z",
      "cname_status": 3,
      "last_result": "bound",
      "last_attempt": "2026-12-04T16:08:44Z",
      "last_error": null,
      "consecutive_failures": 0,
      "next_attempt": null,
      "failed_sha256": "",
      "verified_sha256": "",
      "verified_at": null,
      "expiring_sha256": "",
      "bind_successes": 1,
      "bind_failures": 0,
      "last_success": "2026-12-04T16:08:44Z",
      "created": [
        {
          "ssl_id": "e33e6580d4ba55a7b1410464340e051f",
          "name": "b00000_20270304_87f6708e",
          "sha256": "87f6708ea09563de423d653254514960168dc7a029b2f3e553e504efe4abf5de",
          "created_at": "2026-12-04T16:08:44Z",
          "delete_failed_at": null,
          "delete_error": ""
        }
      ]
    }
  },
  "bundles": {
    "b00000": {
      "cert_file": {
        "device": 65024,
        "inode": 10953282,
        "size": 1482,
        "mtime_ns": 1796400551733794414,
        "ctime_ns": 1796400552082246912
      },
      "key_file": {
        "device": 65024,
        "inode": 10953298,
        "size": 1704,
        "mtime_ns": 1796400551734088193,
        "ctime_ns": 1796400552082246912
      },
      "facts": {
        "cert": "/etc/letsencrypt/live/b00000/fullchain.pem",
        "key": "/etc/letsencrypt/live/b00000/privkey.pem",
        "sha256": "87f6708ea09563de423d653254514960168dc7a029b2f3e553e504efe4abf5de",
        "not_before": "2026-12-04T16:09:11Z",
        "not_after": "2027-03-04T16:09:11Z",
        "sans": [
          "bench.example",
          "*.bench.example"
        ],
        "common_name": "bench.example",
        "subject": "CN = bench.example",
        "serial": "65",
        "issuer": "CN = apig-certd bench CA",
        "key_type": "RSA",
        "key_bits": 2048,
        "ec_curve": "",
        "key_matches_leaf": true,
        "leaf_file_position": 1,
        "chain_links": [
          {
            "file_position": 2,
            "subject": "CN = apig-certd bench CA",
            "issues_previous": true,
            "issues_other": false,
            "self_signed": true
          }
        ],
        "load_warnings": []
      }
    }
  }
}
)";

TEST(StateJson, LoadsTheVersion1FilesOfEarlierVersions) {
  const State state = parse_ok(kVersion1File);
  TargetState expected;
  expected.binding = "b00000";
  expected.instance_id = "eddc4d25480b4cd6b512f270a1b8b341";
  expected.group_id = "g0000";
  expected.domain = "d00000.bench.example";
  expected.domain_id = "dom00000";
  expected.disk_sha256 = "87f6708ea09563de423d653254514960168dc7a029b2f3e553e504efe4abf5de";
  expected.disk_not_after = at("2027-03-04T16:08:40Z");
  expected.bound_sha256 = expected.disk_sha256;
  expected.bound_name = "b00000_20270304_87f6708e";
  expected.ssl_id = "e33e6580d4ba55a7b1410464340e051f";
  expected.bound_at = at("2026-12-04T16:08:44Z");
  expected.bound_not_after = at("2027-03-04T16:08:40Z");
  expected.cname_status = 3;
  expected.last_result = state::TargetResult::Bound;
  expected.last_attempt = at("2026-12-04T16:08:44Z");
  expected.bind_successes = 1;
  expected.last_success = at("2026-12-04T16:08:44Z");
  expected.created = {CreatedCertificate{expected.ssl_id, expected.bound_name,
                                         expected.bound_sha256, at("2026-12-04T16:08:44Z"),
                                         std::nullopt, ""}};
  State want;
  want.targets[key_of(expected)] = expected;
  EXPECT_EQ(state, want);
  // Saved again, the same state in fewer bytes (no nulls, no defaults, no bundle cache).
  const std::string text = to_json(state);
  EXPECT_EQ(parse_ok(text), want);
  EXPECT_EQ(text.find("bundles"), std::string::npos) << text;
  EXPECT_EQ(text.find("null"), std::string::npos) << text;
  EXPECT_LT(text.size() * 2, std::string_view(kVersion1File).size()) << text;
}

TEST(StateJson, ReadsFieldsInAnyOrderAndSkipsWhatItDoesNotKnow) {
  // The version last, unknown root members of every shape, and a duplicate target key (the
  // last one counts, as in a JSON document).
  const State state = parse_ok(R"({
    "future": {"deep": [{"x": [1, {"y": null}]}], "targets": {"k": 5}},
    "targets": {
      "b/i/g/a.example.com": {"binding": "first"},
      "b/i/g/a.example.com": {"binding": "b", "created": [{"ssl_id": "s", "n": [[], {}]}]}
    },
    "list": [1, "two", {"three": 3}],
    "version": 1
  })");
  ASSERT_EQ(state.targets.size(), 1U);
  const TargetState& target = state.targets.at("b/i/g/a.example.com");
  EXPECT_EQ(target.binding, "b");
  ASSERT_EQ(target.created.size(), 1U);
  EXPECT_EQ(target.created[0].ssl_id, "s");
  // A wrong version is reported before a broken target, wherever each is in the file.
  EXPECT_EQ(parse_error(R"({"targets": {"k": 5}, "version": 2})").message(),
            "version: unsupported state version 2 (this apig-certd reads version 1)");
  EXPECT_EQ(parse_error(R"({"targets": {"k": 5}})").message(), "version: missing");
  EXPECT_EQ(parse_error(R"({"version": 1, "targets": 5})").message(),
            "targets: expected an object, got number");
}

TEST(StateJson, AThousandTargetsRoundTrip) {
  State state;
  for (int i = 0; i < 1000; ++i) {
    TargetState target = full_target();
    target.binding = "b" + std::to_string(i);
    target.bind_successes = i;
    state.targets[key_of(target)] = target;
  }
  const std::string text = to_json(state);
  const State parsed = parse_ok(text);
  EXPECT_EQ(parsed, state);
  EXPECT_EQ(to_json(parsed), text);
}

TEST(StateJson, DropsSubSecondParts) {
  State state;
  TargetState target;
  target.bound_at = at("2026-11-01T08:30:05Z") + std::chrono::milliseconds(750);
  state.targets["k"] = target;
  const State parsed = parse_ok(to_json(state));
  EXPECT_EQ(parsed.targets.at("k").bound_at, at("2026-11-01T08:30:05Z"));
}

TEST(StateJson, ReplacesInvalidUtf8InsteadOfFailing) {
  State state;
  TargetState target;
  target.last_error = LastError{"x", std::string("bad \xff byte"), SystemTime{}};
  state.targets["k"] = target;
  const std::string text = to_json(state);
  const State parsed = parse_ok(text);
  EXPECT_EQ(parsed.targets.at("k").last_error->message, "bad \xEF\xBF\xBD byte");
}

TEST(StateJson, ToleratesUnknownAndMissingFields) {
  const State state = parse_ok(R"({
    "version": 1,
    "written_by": "apig-certd 9.9",
    "targets": {
      "b/i/g/www.example.com": {
        "binding": "b",
        "future_field": {"nested": [1, 2, 3]},
        "ssl_id": "ssl-9",
        "last_error": {"code": "APIG.2012", "message": "m", "at": "2026-01-01T00:00:00Z",
                       "hint": "new"},
        "created": [{"ssl_id": "ssl-9", "extra": true}]
      }
    }
  })");
  ASSERT_EQ(state.targets.size(), 1U);
  const TargetState& target = state.targets.at("b/i/g/www.example.com");
  EXPECT_EQ(target.binding, "b");
  EXPECT_EQ(target.ssl_id, "ssl-9");
  EXPECT_EQ(target.cname_status, 0);
  EXPECT_EQ(target.consecutive_failures, 0);
  ASSERT_TRUE(target.last_error);
  EXPECT_EQ(target.last_error->code, "APIG.2012");
  EXPECT_EQ(target.last_error->at, at("2026-01-01T00:00:00Z"));
  ASSERT_EQ(target.created.size(), 1U);
  EXPECT_EQ(target.created[0].ssl_id, "ssl-9");
  EXPECT_EQ(target.created[0].created_at, SystemTime{});
}

TEST(StateJson, MissingTargetsIsAnEmptyState) {
  EXPECT_EQ(parse_ok(R"({"version": 1})"), State{});
  EXPECT_EQ(parse_ok(R"({"version": 1, "targets": null})"), State{});
}

TEST(StateJson, RejectsAnotherVersion) {
  const Error error = parse_error(R"({"version": 2, "targets": {}})");
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_EQ(error.message(),
            "version: unsupported state version 2 (this apig-certd reads version 1)");
}

TEST(StateJson, RejectsAMissingOrMistypedVersion) {
  EXPECT_EQ(parse_error(R"({"targets": {}})").message(), "version: missing");
  EXPECT_EQ(parse_error(R"({"version": "1"})").message(),
            "version: expected an integer, got string");
  EXPECT_EQ(parse_error(R"({"version": 1.0})").message(),
            "version: expected an integer, got number");
}

TEST(StateJson, RejectsWhatIsNotAJsonObject) {
  const Error garbage = parse_error("{\"version\": 1,\n  oops");
  EXPECT_EQ(garbage.code(), ErrorCode::ParseError);
  EXPECT_TRUE(garbage.message().starts_with("not valid JSON: parse error at line 2"))
      << garbage.message();
  EXPECT_EQ(parse_error("").code(), ErrorCode::ParseError);
  EXPECT_EQ(parse_error(R"({"version": 1e999})").message(),
            "not valid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(parse_error("[1, 2]").message(), "expected a JSON object, got array");
}

struct WrongType {
  const char* json;
  const char* message;
};

class StateJsonWrongType : public ::testing::TestWithParam<WrongType> {};

TEST_P(StateJsonWrongType, NamesTheField) {
  const Error error = parse_error(GetParam().json);
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_EQ(error.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, StateJsonWrongType,
    ::testing::Values(
        WrongType{R"({"version": 1, "targets": []})", "targets: expected an object, got array"},
        WrongType{R"({"version": 1, "targets": {"k": 5}})",
                  R"(targets["k"]: expected an object, got number)"},
        WrongType{R"({"version": 1, "targets": {"k": {"binding": 5}}})",
                  R"(targets["k"].binding: expected a string, got number)"},
        WrongType{R"({"version": 1, "targets": {"k": {"bound_at": 5}}})",
                  R"(targets["k"].bound_at: expected an ISO 8601 UTC time string, got number)"},
        WrongType{
            R"({"version": 1, "targets": {"k": {"disk_not_after": "yesterday"}}})",
            R"(targets["k"].disk_not_after: invalid UTC time 'yesterday' (expected e.g. 2020-01-04T09:05:22Z))"},
        WrongType{R"({"version": 1, "targets": {"k": {"cname_status": "3"}}})",
                  R"(targets["k"].cname_status: expected an integer, got string)"},
        WrongType{R"({"version": 1, "targets": {"k": {"consecutive_failures": 1e99}}})",
                  R"(targets["k"].consecutive_failures: expected an integer, got number)"},
        WrongType{R"({"version": 1, "targets": {"k": {"consecutive_failures": 9999999999}}})",
                  R"(targets["k"].consecutive_failures: integer out of range)"},
        WrongType{R"({"version": 1, "targets": {"k": {"last_error": "boom"}}})",
                  R"(targets["k"].last_error: expected an object, got string)"},
        WrongType{
            R"({"version": 1, "targets": {"k": {"last_error": {"at": 1}}}})",
            R"(targets["k"].last_error.at: expected an ISO 8601 UTC time string, got number)"},
        WrongType{R"({"version": 1, "targets": {"k": {"created": {}}}})",
                  R"(targets["k"].created: expected an array, got object)"},
        WrongType{R"({"version": 1, "targets": {"k": {"created": [{}, 7]}}})",
                  R"(targets["k"].created[1]: expected an object, got number)"},
        WrongType{R"({"version": 1, "targets": {"k": {"created": [{"sha256": false}]}}})",
                  R"(targets["k"].created[0].sha256: expected a string, got boolean)"}));

}  // namespace
}  // namespace apig_certd::state::state_test

namespace apig_certd::state::state_test {
namespace {

CreatedCertificate created_number(int n) {
  CreatedCertificate made;
  made.ssl_id = "ssl-" + std::to_string(n);
  made.name = "site_20270101_" + std::to_string(n);
  return made;
}

std::vector<std::string> ids_of(const std::vector<CreatedCertificate>& created) {
  std::vector<std::string> ids;
  for (const CreatedCertificate& entry : created) {
    ids.push_back(entry.ssl_id);
  }
  return ids;
}

TEST(RememberCreated, AddsOnceAndForgetsTheOldestBeyondTheLimit) {
  std::vector<CreatedCertificate> created;
  remember_created(created, created_number(1), 1);
  remember_created(created, created_number(1), 1);  // the same id again: not twice
  EXPECT_EQ(ids_of(created), std::vector<std::string>{"ssl-1"});
  for (int n = 2; n <= 20; ++n) {
    remember_created(created, created_number(n), 1);
  }
  ASSERT_EQ(created.size(), kMaxCreatedRemembered);
  EXPECT_EQ(created.front().ssl_id, "ssl-5");  // 1..4 forgotten, oldest first
  EXPECT_EQ(created.back().ssl_id, "ssl-20");
}

TEST(RememberCreated, KeepsKeepPreviousPlusOneWhenThatIsMore) {
  std::vector<CreatedCertificate> created;
  for (int n = 1; n <= 40; ++n) {
    remember_created(created, created_number(n), 29);
  }
  ASSERT_EQ(created.size(), 30U);
  EXPECT_EQ(created.front().ssl_id, "ssl-11");
}

}  // namespace
}  // namespace apig_certd::state::state_test
