// The CNAME poll (cname_poll.h): which targets the daemon checks between passes, what one
// round reads (one group read for all of a group's targets), and when a check has found
// something the state does not record yet. A fake transport answers the group reads.

#include "daemon/engine/cname_poll.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_transport.h"

namespace apig_certd::engine::cname_poll_test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(hours(24 * 365 * 56));

class NoAuth final : public auth::Authenticator {
 public:
  Result<void> authorize(http::Request& /*request*/) override { return {}; }
  bool refresh_after_unauthorized() override { return false; }
  std::string_view method_name() const override { return "none"; }
};

settings::TargetSettings target_in(const std::string& group, const std::string& domain) {
  settings::TargetSettings target;
  target.instance_id = "i1";
  target.group_id = group;
  target.domain = domain;
  return target;
}

// A group read: each domain with its CNAME status and the certificate it serves.
struct Served {
  std::string domain;
  int cname_status = 0;
  std::string ssl_name;
};
void answer_group(testing::FakeTransport& transport, const std::vector<Served>& domains) {
  std::string body = R"({"id":"g","url_domains":[)";
  for (std::size_t i = 0; i < domains.size(); ++i) {
    body += (i == 0 ? "" : ",") + std::string(R"({"id":"d)") + std::to_string(i) +
            R"(","domain":")" + domains[i].domain + R"(","cname_status":)" +
            std::to_string(domains[i].cname_status) + R"(,"ssl_id":"ssl-)" + domains[i].ssl_name +
            R"(","ssl_name":")" + domains[i].ssl_name + R"("})";
  }
  transport.respond(200, body + "]}");
}

// One round over `checks` with one client on `transport`.
int one_round(testing::FakeTransport& transport, std::vector<CnameCheck>& checks) {
  NoAuth auth;
  std::vector<apig::ClientHandle> clients;
  clients.push_back(
      {nullptr,
       std::make_unique<apig::Client>(
           transport, auth, apig::ClientOptions{"https://apig.example", "proj", seconds(5)})});
  WorkerPool pool(std::move(clients));
  std::vector<PolledTarget*> targets;
  for (CnameCheck& check : checks) {
    targets.push_back(&check.poll);
  }
  return poll_round(targets, pool);
}

CnameCheck check_of(const settings::TargetSettings& target, apig::CnameStatus recorded,
                    std::string serving = "site_ours") {
  return {"site", recorded, {&target, std::move(serving), recorded, {}, {}, false}};
}

TEST(CnamePoll, OneReadOfAGroupServesAllItsTargets) {
  const settings::TargetSettings www = target_in("g1", "www.example.com");
  const settings::TargetSettings api = target_in("g1", "api.example.com");
  const settings::TargetSettings other = target_in("g2", "other.example.com");
  std::vector<CnameCheck> checks = {check_of(www, apig::CnameStatus::Resolving),
                                    check_of(api, apig::CnameStatus::Resolving),
                                    check_of(other, apig::CnameStatus::NotResolved)};
  testing::FakeTransport transport;
  answer_group(transport,
               {{"www.example.com", 3, "site_ours"}, {"api.example.com", 2, "site_ours"}});
  answer_group(transport, {{"other.example.com", 2, "site_ours"}});
  EXPECT_EQ(one_round(transport, checks), 2);
  ASSERT_EQ(transport.requests().size(), 2U);
  EXPECT_NE(transport.requests()[0].url.find("/api-groups/g1"), std::string::npos);
  EXPECT_NE(transport.requests()[1].url.find("/api-groups/g2"), std::string::npos);
  EXPECT_EQ(checks[0].poll.cname, apig::CnameStatus::Resolved);
  EXPECT_TRUE(checks[0].changed());
  EXPECT_EQ(checks[1].poll.cname, apig::CnameStatus::Resolving);
  EXPECT_FALSE(checks[1].changed()) << "still resolving: nothing for a pass to record";
  EXPECT_EQ(checks[2].poll.cname, apig::CnameStatus::Resolving);
  EXPECT_TRUE(checks[2].changed()) << "1 -> 2 is a change the state records";
}

TEST(CnamePoll, ADomainServingAnotherCertificateIsAChange) {
  const settings::TargetSettings www = target_in("g1", "www.example.com");
  std::vector<CnameCheck> checks = {check_of(www, apig::CnameStatus::Resolving)};
  testing::FakeTransport transport;
  answer_group(transport, {{"www.example.com", 2, "someone_elses"}});
  one_round(transport, checks);
  ASSERT_TRUE(checks[0].poll.lost_to);
  EXPECT_EQ(*checks[0].poll.lost_to, "someone_elses");
  EXPECT_TRUE(checks[0].changed());
}

TEST(CnamePoll, AFailedReadChangesNothing) {
  const settings::TargetSettings www = target_in("g1", "www.example.com");
  std::vector<CnameCheck> checks = {check_of(www, apig::CnameStatus::Resolving)};
  testing::FakeTransport transport;
  transport.respond(503, R"({"error_code":"APIG.9999","error_msg":"busy"})");
  EXPECT_EQ(one_round(transport, checks), 1);
  EXPECT_FALSE(checks[0].changed()) << "the next poll reads again";
}

settings::Settings config_with(const std::vector<std::string>& bindings) {
  settings::Settings config;
  for (const std::string& name : bindings) {
    settings::BindingSettings binding;
    binding.name = name;
    binding.targets.push_back(target_in("g1", name + ".example.com"));
    config.bindings.push_back(binding);
  }
  config.poll.timeout = minutes(10);
  return config;
}

state::TargetState bound(const std::string& binding, int cname_status, Duration ago) {
  state::TargetState target;
  target.binding = binding;
  target.cname_status = cname_status;
  target.bound_name = binding + "_ours";
  target.bound_at = kNow - ago;
  return target;
}

TEST(CnamePoll, ChecksTheTargetsThatAwaitTheirCnameWithinPollTimeout) {
  const settings::Settings config = config_with({"a", "b", "c", "d", "e"});
  state::State state;
  const auto key = [](const std::string& name) {
    return state::target_key(name, "i1", "g1", name + ".example.com", "");
  };
  state.targets[key("a")] = bound("a", 2, minutes(1));   // resolving
  state.targets[key("b")] = bound("b", 1, minutes(1));   // not resolved yet
  state.targets[key("c")] = bound("c", 3, minutes(1));   // resolved
  state.targets[key("d")] = bound("d", 2, minutes(11));  // past poll.timeout
  state.targets[key("e")] = bound("e", 2, minutes(1));   // not asked for
  state.targets[key("e")].bound_at.reset();
  const std::vector<CnameCheck> checks = cname_checks(config, state, {"a", "b", "c", "d"}, kNow);
  ASSERT_EQ(checks.size(), 2U);
  EXPECT_EQ(checks[0].binding, "a");
  EXPECT_EQ(checks[0].recorded, apig::CnameStatus::Resolving);
  EXPECT_EQ(checks[0].poll.serving_name, "a_ours");
  EXPECT_EQ(checks[0].poll.target, &config.bindings[0].targets[0]);
  EXPECT_FALSE(checks[0].changed()) << "nothing read yet";
  EXPECT_EQ(checks[1].binding, "b");
  EXPECT_EQ(checks[1].recorded, apig::CnameStatus::NotResolved);
  EXPECT_TRUE(cname_checks(config, state, {"e"}, kNow).empty())
      << "a target we did not bind is not ours to wait on";
}

}  // namespace
}  // namespace apig_certd::engine::cname_poll_test
