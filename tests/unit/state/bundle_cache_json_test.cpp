// The bundle cache in state.json: the facts of real, freshly generated bundles survive the
// round trip exactly; files without the section (older apig-certd) load; a damaged entry is
// dropped alone; and nothing from the private key reaches the file.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "daemon/cert/bundle.h"
#include "daemon/state/state.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::state::bundle_cache_json_test {
namespace {

using testing::CertSpec;
using testing::KeyKind;
using testing::TempDir;

sys::FileIdentity identity(std::uint64_t inode) {
  sys::FileIdentity file;
  file.device = 66305;  // a real dev_t: makedev(259, 1)
  file.inode = inode;
  file.size = 2871;
  file.mtime_ns = 1'798'761'600'123'456'789;
  file.ctime_ns = 1'798'761'601'987'654'321;
  return file;
}

State parse_or_empty(std::string_view text) {
  const Result<State> state = parse_state(text);
  EXPECT_TRUE(state) << state.error().to_string();
  return state ? *state : State{};
}

class BundleCacheJsonTest : public ::testing::Test {
 protected:
  // The facts of a real bundle for `spec` and `kind`, loaded from files like the daemon's.
  cert::BundleFacts facts_of(const testing::TestChain& chain, std::string_view directory) {
    const testing::Lineage lineage =
        testing::write_lineage(temp_dir_, directory, chain.fullchain(), chain.key.pem());
    Result<cert::Bundle> bundle = cert::load_bundle({lineage.cert, lineage.key});
    EXPECT_TRUE(bundle) << bundle.error().to_string();
    return bundle ? bundle->facts() : cert::BundleFacts{};
  }

  TempDir temp_dir_;
};

TEST_F(BundleCacheJsonTest, RealFactsRoundTripExactly) {
  State state;
  state.bundles["rsa"] = {identity(1), identity(2),
                          facts_of(testing::make_chain({.sans = {"www.example.com", "example.com"},
                                                        .common_name = "www.example.com"},
                                                       KeyKind::Rsa2048),
                                   "rsa")};
  state.bundles["ec"] = {
      identity(3), identity(4),
      facts_of(testing::make_chain({.sans = {"*.example.org"}}, KeyKind::EcP384), "ec")};
  // A misordered file with a key that matches nothing: chain links, positions and a false
  // key match must survive too; and a world-readable key gives a load warning.
  const testing::TestChain chain = testing::make_chain({.sans = {"a.example.net"}});
  const testing::TestKey stranger = testing::make_key(KeyKind::EcP256);
  const testing::Lineage odd =
      testing::write_lineage(temp_dir_, "odd", chain.intermediate + chain.leaf, stranger.pem());
  std::filesystem::permissions(odd.key, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  Result<cert::Bundle> odd_bundle = cert::load_bundle({odd.cert, odd.key});
  ASSERT_TRUE(odd_bundle) << odd_bundle.error().to_string();
  ASSERT_FALSE(odd_bundle->key_matches_leaf());
  ASSERT_EQ(odd_bundle->load_warnings().size(), 1U);
  ASSERT_EQ(odd_bundle->chain_links().size(), 1U);
  state.bundles["odd"] = {identity(5), identity(6), odd_bundle->facts()};

  const std::string text = to_json(state);
  const State parsed = parse_or_empty(text);
  EXPECT_EQ(parsed.bundles, state.bundles);
  EXPECT_EQ(parsed, state);
  EXPECT_EQ(to_json(parsed), text);
  EXPECT_EQ(parsed.bundles.at("rsa").facts.key_type, cert::KeyType::Rsa);
  EXPECT_EQ(parsed.bundles.at("ec").facts.ec_curve, "P-384");
  EXPECT_EQ(parsed.bundles.at("odd").cert_file.mtime_ns, 1'798'761'600'123'456'789);
}

TEST_F(BundleCacheJsonTest, DatesAtTheEdgeOfWhatSystemTimeHoldsRoundTrip) {
  State state;
  cert::BundleFacts facts = facts_of(testing::make_chain({.sans = {"www.example.com"}}), "site");
  // bundle.cpp clamps dates beyond 2262 to the last whole second SystemTime holds.
  facts.not_after = std::chrono::floor<std::chrono::seconds>(SystemTime::max());
  state.bundles["site"] = {identity(1), identity(2), facts};
  EXPECT_EQ(parse_or_empty(to_json(state)).bundles, state.bundles);
}

TEST_F(BundleCacheJsonTest, HoldsNoKeyMaterial) {
  const testing::TestChain chain = testing::make_chain({.sans = {"www.example.com"}});
  State state;
  state.bundles["site"] = {identity(1), identity(2), facts_of(chain, "site")};
  const std::string text = to_json(state);
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
  // No line of the key's base64 body (the same test the suite-wide secret scan makes).
  const std::string key = chain.key.pem();
  std::size_t start = key.find('\n') + 1;
  while (start < key.size()) {
    const std::size_t end = key.find('\n', start);
    const std::string line = key.substr(start, end - start);
    if (line.size() >= 16 && !line.starts_with("-----")) {
      EXPECT_EQ(text.find(line), std::string::npos) << line;
    }
    start = end == std::string::npos ? key.size() : end + 1;
  }
  // Nor the certificate PEM: the cache holds facts only.
  EXPECT_EQ(text.find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST(BundleCacheJson, AStateWithoutTheSectionLoads) {
  const State state = parse_or_empty(R"({"version": 1, "targets": {}})");
  EXPECT_TRUE(state.bundles.empty());
  EXPECT_TRUE(parse_or_empty(R"({"version": 1, "bundles": null})").bundles.empty());
  EXPECT_TRUE(parse_or_empty(R"({"version": 1, "bundles": [1, 2]})").bundles.empty());
}

TEST(BundleCacheJson, ADamagedEntryIsDroppedAlone) {
  cert::BundleFacts facts;
  facts.paths = {"/c.pem", "/k.pem"};
  facts.sha256 = std::string(64, 'f');
  State state;
  state.bundles["good"] = {identity(1), identity(2), facts};
  const std::string good = to_json(state);
  const std::string entry = good.substr(good.find("\"good\""));
  // Each damaged variant sits next to the good entry; only the damaged one goes.
  const std::string damaged[] = {
      R"("bad": 7)",
      R"("bad": {"cert_file": {}, "key_file": {}})",
      R"("bad": {"cert_file": {"inode": "12"}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k"}})",
      R"("bad": {"cert_file": {"inode": -1}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k"}})",
      R"("bad": {"cert_file": {}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k", "not_after": "soon"}})",
      R"("bad": {"cert_file": {}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k", "key_type": "DSA"}})",
      R"("bad": {"cert_file": {}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k", "sans": [1]}})",
      R"("bad": {"cert_file": {}, "key_file": {}, "facts": {"sha256": "ab", "cert": "/c", "key": "/k", "load_warnings": [{"severity": "fatal"}]}})",
      R"("bad": {"cert_file": {}, "key_file": {}, "facts": {"cert": "/c", "key": "/k"}})",
  };
  for (const std::string& bad : damaged) {
    const std::string text = R"({"version": 1, "bundles": {)" + bad + ", " + entry;
    const Result<State> parsed = parse_state(text);
    ASSERT_TRUE(parsed) << parsed.error().to_string() << "\n" << text;
    EXPECT_EQ(parsed->bundles.size(), 1U) << bad;
    EXPECT_EQ(parsed->bundles, state.bundles) << bad;
  }
}

}  // namespace
}  // namespace apig_certd::state::bundle_cache_json_test
