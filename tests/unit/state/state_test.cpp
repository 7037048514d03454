// The state model's JSON: a full round trip of every field, the shape of the file, forward
// compatibility (unknown fields) and ParseErrors that name the field.

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
  EXPECT_EQ(to_json(State{}), "{\n  \"version\": 1,\n  \"targets\": {},\n  \"bundles\": {}\n}\n");
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

TEST(StateJson, RoundTripsAbsentOptionalsAsNull) {
  State state;
  TargetState target;
  target.binding = "b";
  target.domain_id = "d";
  state.targets[key_of(target)] = target;
  const std::string text = to_json(state);
  EXPECT_NE(text.find("\"bound_at\": null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"last_error\": null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"created\": []"), std::string::npos) << text;
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

TEST(StateJson, WritesPrettyJsonInTheOrderOfTheModel) {
  State state;
  const TargetState target = full_target();
  state.targets[key_of(target)] = target;
  const std::string text = to_json(state);
  EXPECT_TRUE(text.starts_with("{\n  \"version\": 1,\n  \"targets\": {\n    \"example/"));
  EXPECT_NE(text.find("      \"binding\": \"example\",\n      \"instance_id\""), std::string::npos)
      << text;
  EXPECT_LT(text.find("\"domain_id\""), text.find("\"disk_sha256\""));
  EXPECT_LT(text.find("\"failed_sha256\""), text.find("\"created\""));
  EXPECT_NE(text.find("\"bound_at\": \"2026-11-01T08:30:05Z\""), std::string::npos);
  EXPECT_NE(text.find("\"cname_status\": 3"), std::string::npos);
  EXPECT_TRUE(text.ends_with("}\n"));
}

TEST(StateJson, IsFormattedExactlyAsNlohmannPrettyPrintsIt) {
  State state;
  const TargetState full = full_target();
  state.targets[key_of(full)] = full;
  TargetState odd = full_target();
  odd.binding = "odd \"name\" caf\xc3\xa9 \xff";
  odd.last_error = LastError{"x", "line\nbreak\ttab \x01", SystemTime{}};
  state.targets[key_of(odd)] = odd;
  BundleCacheEntry entry;
  entry.cert_file = {1, 2, 3, -4, 5};
  entry.facts.sans = {"a.example.com", "*.example.com"};
  entry.facts.chain_links = {cert::ChainLink{}};
  entry.facts.load_warnings = {cert::Problem{cert::Severity::Warning, "", "readable by all"}};
  state.bundles["site"] = entry;
  state.bundles["empty"] = BundleCacheEntry{};
  const std::string text = to_json(state);
  const auto document = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n",
            text);
  EXPECT_NE(text.find("\"mtime_ns\": -4,"), std::string::npos) << text;
  EXPECT_EQ(parse_ok(text).targets.at(key_of(full)), full);
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

State thousand_targets_and_bundles() {
  State state;
  for (int i = 0; i < 1000; ++i) {
    TargetState target = full_target();
    target.binding = "b" + std::to_string(i);
    target.bind_successes = i;
    state.targets[key_of(target)] = target;
    BundleCacheEntry entry;
    entry.cert_file.inode = static_cast<std::uint64_t>(i) + 1;
    entry.key_file.inode = static_cast<std::uint64_t>(i) + 2;
    entry.facts.paths = {"/etc/letsencrypt/live/b" + std::to_string(i) + "/fullchain.pem",
                         "/etc/letsencrypt/live/b" + std::to_string(i) + "/privkey.pem"};
    entry.facts.sha256 = std::string(64, 'a');
    entry.facts.sans = {"a.example.com"};
    state.bundles[target.binding] = entry;
  }
  return state;
}

TEST(StateJson, AThousandTargetsAndBundlesRoundTrip) {
  const State state = thousand_targets_and_bundles();
  const std::string text = to_json(state);
  const State parsed = parse_ok(text);
  EXPECT_EQ(parsed.targets, state.targets);
  EXPECT_EQ(parsed.bundles.size(), state.bundles.size());
  EXPECT_EQ(to_json(parsed), text);
}

TEST(StateJson, WritesALargeStateInPiecesOfWholeEntries) {
  const State state = thousand_targets_and_bundles();
  std::vector<std::string> pieces;
  write_json(state, [&](std::string_view piece) { pieces.emplace_back(piece); });
  std::string joined;
  for (const std::string& piece : pieces) {
    joined += piece;
  }
  EXPECT_EQ(joined, to_json(state));
  ASSERT_GT(pieces.size(), 10U) << joined.size() << " bytes";
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    // At least 64 KiB, and cut right after a whole target or bundle entry (whose closing
    // brace is indented by four spaces), never inside one.
    EXPECT_GE(pieces[i].size(), 64U * 1024) << i;
    EXPECT_LT(pieces[i].size(), 72U * 1024) << i;
    EXPECT_TRUE(pieces[i].ends_with("\n    }"))
        << i << ": ..." << pieces[i].substr(pieces[i].size() - 40);
  }
  EXPECT_TRUE(pieces.back().ends_with("}\n"));

  std::vector<std::string> small;
  write_json(State{}, [&](std::string_view piece) { small.emplace_back(piece); });
  EXPECT_EQ(small, std::vector<std::string>{to_json(State{})});
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
