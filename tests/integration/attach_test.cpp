// Strategy "attach" (issue 18 §6, DESIGN.md §4 step 6): one certificate object per renewal per
// instance, attached to every target's domain there; what it supersedes is detached, and
// deleted once no domain uses it. `apig-certd sync` against apig-sim, which models the
// certificate APIs (create, attach, detach, attached-domains) in the real API's shapes.

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::attach_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

const std::vector<std::string> kDomains = {"a.example.com", "b.example.com", "c.example.com",
                                           "d.example.com", "e.example.com"};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class AttachTest : public SyncTest {
 protected:
  // Five domains of one instance, in two groups; nothing bound.
  void start(const std::string& second_bind = "replace", const json& certificates = json::array()) {
    json first = json::array();
    json second = json::array();
    for (std::size_t i = 0; i < kDomains.size(); ++i) {
      (i < 3 ? first : second).push_back(sim_domain(i < 3 ? "g1" : "g2", kDomains[i], {3}));
    }
    start_sim(json::array({sim_group("g1", first), sim_group("g2", second)}), second_bind,
              certificates);
  }

  void add_site(const std::string& extra = "keep_previous = 0\n") {
    std::vector<SyncTarget> targets;
    for (std::size_t i = 0; i < kDomains.size(); ++i) {
      targets.push_back({i < 3 ? "g1" : "g2", kDomains[i]});
    }
    add_binding("site", targets, "strategy = \"attach\"\n" + extra);
  }

  void renew(int days) {
    write_certificate("site", make_chain({.sans = kDomains, .not_after_offset = hours(24 * days)},
                                         KeyKind::EcP256));
  }

  // The objects bound to each of the five domains.
  std::set<std::string> bound_objects() const {
    std::set<std::string> ids;
    for (const std::string& domain : kDomains) {
      const json bound = sim_bound_certificate(domain);
      ids.insert(bound.is_null() ? "" : bound["id"].get<std::string>());
    }
    return ids;
  }

  bool object_exists(const std::string& id) const {
    for (const json& certificate : sim_certificates()) {
      if (certificate["id"] == id) {
        return true;
      }
    }
    return false;
  }

  // The next `count` POSTs to paths matching `path_regex` are refused: no permission.
  void refuse_posts(const std::string& path_regex, int count) const {
    add_fault(
        {{"method", "POST"},
         {"path_regex", path_regex},
         {"count", count},
         {"status", 403},
         {"body", R"({"error_code":"APIG.1301","error_msg":"no permission on the domain"})"}});
  }

  int creates() const { return count_requests("POST", "/apigw/certificates"); }
  int attaches() const { return count_requests("POST", "/certificates/attach"); }
};

TEST_F(AttachTest, FiveDomainsOfOneInstanceTakeOneCreateAndFiveAttaches) {
  start();
  renew(60);
  add_site();

  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(contains(line_for(dry, kDomains[0]), "one certificate object on instance 'i1'"))
      << dry.out;
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(creates(), 1) << describe_requests();
  EXPECT_EQ(attaches(), 5) << describe_requests();
  EXPECT_EQ(count_requests("POST", "/domains/") - attaches(), 0) << describe_requests();
  for (const std::string& domain : kDomains) {
    EXPECT_TRUE(contains(line_for(result, domain), "attached: ")) << result.out;
  }
  const std::set<std::string> objects = bound_objects();
  ASSERT_EQ(objects.size(), 1U);
  const json object = sim_bound_certificate(kDomains[0]);
  EXPECT_EQ(object["type"], "instance");

  // In sync now: nothing more is written.
  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_requests("POST") + count_requests("DELETE"), 0) << describe_requests();
}

// A renewal: one new object for the five; the old one is detached where the attach left it
// and deleted once, after the last domain let go of it, never while one still holds it.
TEST_F(AttachTest, TheOldObjectIsDeletedOnlyAfterTheLastDomainLetsGoOfIt) {
  start("refuse");  // APIG refuses a second certificate in a slot: detach, then attach
  renew(60);
  add_site();
  ASSERT_EQ(sync().exit_code, 0);
  const std::string old_id = *bound_objects().begin();

  renew(70);
  clear_requests();
  // The make-room detach of the last domain is refused: that domain keeps the old object.
  refuse_posts("g2-e/certificates/detach", 1);
  const ProcessResult partial = sync();
  EXPECT_EQ(partial.exit_code, 1) << partial.out << partial.err;
  EXPECT_EQ(creates(), 1) << describe_requests();
  EXPECT_TRUE(contains(line_for(partial, kDomains[4]), "APIG.1301")) << partial.out;
  EXPECT_EQ(count_requests("DELETE"), 0) << describe_requests();
  EXPECT_TRUE(object_exists(old_id));
  EXPECT_EQ(sim_bound_certificate(kDomains[4])["id"], old_id);

  // The next pass finds the object made before (no second create) and finishes the job.
  clear_requests();
  const ProcessResult rest = sync();
  EXPECT_EQ(rest.exit_code, 0) << rest.out << rest.err;
  EXPECT_EQ(attaches(), 2) << describe_requests();  // refused once, then after the detach
  EXPECT_EQ(count_requests("DELETE", "/apigw/certificates/" + old_id), 1) << describe_requests();
  EXPECT_FALSE(object_exists(old_id));
  const std::set<std::string> objects = bound_objects();
  ASSERT_EQ(objects.size(), 1U);
  EXPECT_NE(*objects.begin(), old_id);
}

// An object of our name exists (an earlier pass created it, then its attaches failed): APIG
// answers APIG.3325 to a second create, and that object is used.
TEST_F(AttachTest, AnObjectOfOurNameIsUsedInsteadOfASecondOne) {
  start();
  renew(60);
  add_site();
  refuse_posts("certificates/attach", 5);
  ASSERT_EQ(sync().exit_code, 1);
  ASSERT_EQ(sim_certificates().size(), 1U);

  clear_requests();
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(creates(), 1) << describe_requests();
  EXPECT_EQ(count_requests("GET", "/apigw/certificates"), 1) << describe_requests();
  EXPECT_EQ(sim_certificates().size(), 1U) << sim_certificates().dump();
  EXPECT_EQ(bound_objects().size(), 1U);
}

// mTLS: the new object carries client_ca and the domains keep verifying clients; a foreign
// object in the way is detached, and survives.
TEST_F(AttachTest, AnMtlsDomainKeepsVerifyingClientsAndTheForeignObjectSurvives) {
  const std::string ca = make_chain({.sans = {"clients.example.com"}}).root;
  const json foreign = json::array({{{"id", "0123456789abcdef0123456789abcdef"},
                                     {"name", "console_mtls"},
                                     {"san", {kDomains[0]}},
                                     {"not_after", "2026-01-01T00:00:00Z"},
                                     {"type", "instance"},
                                     {"instance_id", kSyncInstance},
                                     {"trusted_root_ca", ca}}});
  json domain = sim_domain("g1", kDomains[0], {3});
  domain["certificate_id"] = "0123456789abcdef0123456789abcdef";
  domain["verified_client_certificate_enabled"] = true;
  start_sim(json::array({sim_group("g1", json::array({domain}))}), "refuse", foreign);
  write_certificate("site", make_chain({.sans = {kDomains[0]}, .not_after_offset = hours(24 * 90)},
                                       KeyKind::Rsa2048));
  target_extra_[kDomains[0]] =
      "  client_ca = \"" + temp_dir_.write("clients-ca.pem", ca).string() + "\"\n";
  add_binding("site", {{"g1", kDomains[0]}}, "strategy = \"attach\"\n");

  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const json state = sim_domain_state(kDomains[0]);
  EXPECT_EQ(state["verified_client_certificate_enabled"], true) << state.dump();
  const json bound = sim_bound_certificate(kDomains[0]);
  EXPECT_EQ(bound["trusted_root_ca"], ca) << bound.dump();
  EXPECT_NE(bound["name"], "console_mtls");
  EXPECT_TRUE(object_exists("0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(count_requests("DELETE"), 0) << describe_requests();
}

}  // namespace
}  // namespace apig_certd::testing::attach_test
