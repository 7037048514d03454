// A domain bound once per custom inbound port (issue 18 §7): url_domains lists it once per
// port, each entry with its own id, and whether the entries share their certificates is not
// documented. apig-sim keeps them apart (the harder reading): `sync` must bind the first
// entry, confirm the others on a re-read, and write each one that does not serve the
// certificate yet; in sync means every entry serves it.

#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"

namespace apig_certd::testing::port_entries_test {
namespace {

using nlohmann::json;
using std::chrono::hours;

constexpr const char* kDomain = "www.example.com";
constexpr const char* kFirst = "g1-port8443";  // listed first: the entry a name finds
constexpr const char* kSecond = "g1-www";      // the id bind_out_of_band() writes to

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PortEntriesTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    json first = sim_domain("g1", kDomain, {3});
    first["id"] = kFirst;
    json second = sim_domain("g1", kDomain, {3});
    second["id"] = kSecond;
    start_sim(json::array({sim_group("g1", json::array({first, second}))}));
    write_certificate("site", make_chain({.sans = {kDomain}, .not_after_offset = hours(24 * 90)},
                                         KeyKind::Rsa2048));
    add_binding("site", {{"g1", kDomain}});
  }

  // The name of the certificate bound to the entry `id` ("" for none).
  std::string bound_name(const std::string& id) const {
    const json state = admin_get("/__admin/state");
    std::string certificate_id;
    for (const json& group : state["instances"][0]["groups"]) {
      for (const json& domain : group["domains"]) {
        if (domain["id"] == id && domain["certificate_id"].is_string()) {
          certificate_id = domain["certificate_id"].get<std::string>();
        }
      }
    }
    for (const json& certificate : state["certificates"]) {
      if (certificate["id"] == certificate_id) {
        return certificate["name"].get<std::string>();
      }
    }
    return "";
  }
};

TEST_F(PortEntriesTest, EveryEntryIsBoundAndThenInSync) {
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(count_requests("POST", std::string("/domains/") + kFirst + "/certificate"), 1)
      << describe_requests();
  EXPECT_EQ(count_requests("POST", std::string("/domains/") + kSecond + "/certificate"), 1)
      << describe_requests();
  EXPECT_FALSE(bound_name(kFirst).empty());
  EXPECT_EQ(bound_name(kFirst), bound_name(kSecond));

  clear_requests();
  const ProcessResult again = sync();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(contains(line_for(again, kDomain), "in sync")) << again.out;
  EXPECT_EQ(count_requests("POST") + count_requests("DELETE"), 0) << describe_requests();
}

TEST_F(PortEntriesTest, AnEntryThatStopsServingItIsWrittenAlone) {
  ASSERT_EQ(sync().exit_code, 0);
  const std::string ours = bound_name(kFirst);
  bind_out_of_band("g1", kDomain, "console_cert",
                   make_chain({.sans = {kDomain}, .serial = 77}, KeyKind::Rsa2048));
  ASSERT_EQ(bound_name(kSecond), "console_cert");

  clear_requests();
  const ProcessResult dry = sync({"--dry-run"});
  EXPECT_TRUE(
      contains(line_for(dry, kDomain), std::string("not on the domain's port entries ") + kSecond))
      << dry.out;
  const ProcessResult result = sync();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(count_requests("POST", std::string("/domains/") + kFirst), 0) << describe_requests();
  EXPECT_EQ(count_requests("POST", std::string("/domains/") + kSecond), 1) << describe_requests();
  EXPECT_EQ(bound_name(kFirst), ours);
  EXPECT_EQ(bound_name(kSecond), ours);
}

}  // namespace
}  // namespace apig_certd::testing::port_entries_test
