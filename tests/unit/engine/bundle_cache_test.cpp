// The bundle cache (engine/bundle_cache.h): when a binding's facts come from the cache and when
// its files are parsed again. The decision functions are tested as pure functions; read_bundle()
// on real files and real certificates, changed the ways ACME clients and operators change
// them (rewrite in place, rename over, chmod, certbot's symlink swap).
//
// Files written by a test are always younger than sys::kRacyWindow, so these tests pass a zero
// window to read_bundle() where an entry must be kept, and wait for the file timestamp clock to
// tick (a few milliseconds of spinning, no sleep) before a change that keeps the inode, so the
// change cannot land in the same timestamp granule; that granule is what the racy rule is for
// in production, and it is tested on its own below.

#include "daemon/engine/bundle_cache.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/cert/checks.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::engine::bundle_cache_test {
namespace {

using testing::make_chain;
using testing::TempDir;
using testing::TestChain;

std::int64_t ns_of(const struct timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// Spins until the coarse real-time clock, which the kernel stamps files with, has passed
// `path`'s mtime and ctime: the next change to the file then gets a later timestamp.
void wait_for_timestamp_tick(const std::filesystem::path& path) {
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0) << path;
  const std::int64_t last = std::max(ns_of(info.st_mtim), ns_of(info.st_ctim));
  struct timespec now {};
  do {
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  } while (ns_of(now) <= last);
}

sys::ObservedFile observed(std::int64_t changed_ns, std::int64_t observed_ns) {
  sys::ObservedFile file;
  file.identity.device = 1;
  file.identity.inode = 2;
  file.identity.size = 3;
  file.identity.mtime_ns = changed_ns;
  file.identity.ctime_ns = changed_ns;
  file.observed_at = SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::nanoseconds(observed_ns)));
  return file;
}

cert::BundleFacts some_facts() {
  cert::BundleFacts facts;
  facts.paths = {"/etc/letsencrypt/live/site/fullchain.pem",
                 "/etc/letsencrypt/live/site/privkey.pem"};
  facts.sha256 = std::string(64, 'a');
  facts.sans = {"www.example.com"};
  return facts;
}

// ---- The decisions, pure.

TEST(BundleCacheDecision, FactsAreReusedOnlyForTheSamePathsAndBothIdentities) {
  const cert::BundleFacts facts = some_facts();
  const BundleCacheEntry entry{observed(1, 2).identity, observed(5, 6).identity, facts};
  const sys::FileIdentity cert_file = entry.cert_file;
  const sys::FileIdentity key_file = entry.key_file;
  ASSERT_NE(cached_facts(&entry, facts.paths, cert_file, key_file), nullptr);
  EXPECT_EQ(*cached_facts(&entry, facts.paths, cert_file, key_file), facts);

  EXPECT_EQ(cached_facts(nullptr, facts.paths, cert_file, key_file), nullptr);
  EXPECT_EQ(
      cached_facts(&entry, {"/elsewhere/fullchain.pem", facts.paths.key}, cert_file, key_file),
      nullptr);
  EXPECT_EQ(cached_facts(&entry, {facts.paths.cert, "/elsewhere/privkey.pem"}, cert_file, key_file),
            nullptr);
  // Each field of either identity on its own.
  const auto changed = [](sys::FileIdentity identity, int field) {
    switch (field) {
      case 0:
        ++identity.device;
        break;
      case 1:
        ++identity.inode;
        break;
      case 2:
        ++identity.size;
        break;
      case 3:
        ++identity.mtime_ns;
        break;
      default:
        ++identity.ctime_ns;
        break;
    }
    return identity;
  };
  for (int field = 0; field < 5; ++field) {
    EXPECT_EQ(cached_facts(&entry, facts.paths, changed(cert_file, field), key_file), nullptr)
        << "certificate field " << field;
    EXPECT_EQ(cached_facts(&entry, facts.paths, cert_file, changed(key_file, field)), nullptr)
        << "key field " << field;
  }
}

TEST(BundleCacheDecision, RacyFilesAreNotRemembered) {
  constexpr std::int64_t kSecond = 1'000'000'000;
  constexpr std::int64_t kChanged = 1'798'761'600 * kSecond;
  const cert::BundleFacts facts = some_facts();
  const sys::ObservedFile old_file = observed(kChanged, kChanged + 60 * kSecond);
  const sys::ObservedFile fresh_file = observed(kChanged, kChanged + kSecond);

  const std::optional<BundleCacheEntry> kept = cache_entry_for(old_file, old_file, facts);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->cert_file, old_file.identity);
  EXPECT_EQ(kept->key_file, old_file.identity);
  EXPECT_EQ(kept->facts, facts);
  // Either file written a second before it was looked at: not trusted later.
  EXPECT_FALSE(cache_entry_for(fresh_file, old_file, facts));
  EXPECT_FALSE(cache_entry_for(old_file, fresh_file, facts));
  // A write in the same instant as the observation is the racy case itself.
  EXPECT_FALSE(cache_entry_for(observed(kChanged, kChanged), old_file, facts));
}

TEST(BundleCacheDecision, PruningKeepsOnlyConfiguredBindings) {
  BundleCache cache;
  cache["kept"] = {};
  cache["gone"] = {};
  std::vector<settings::BindingSettings> bindings(2);
  bindings[0].name = "kept";
  bindings[1].name = "new";
  prune_bundle_cache(cache, bindings);
  ASSERT_EQ(cache.size(), 1U);
  EXPECT_TRUE(cache.contains("kept"));
}

// ---- read_bundle() on real files.

class BundleCacheTest : public ::testing::Test {
 protected:
  // Reads with the racy window off (the files are seconds old at most).
  ObservedBundle read(const cert::BundlePaths& paths,
                      BundleSource source = BundleSource::CacheWhenUnchanged) {
    return read_bundle("site", paths, cache_, source, decoders_, Duration::zero());
  }

  TempDir temp_dir_;
  BundleCache cache_;
  cert::KeyDecoders decoders_;
  const TestChain first_ = make_chain({.sans = {"www.example.com"}});
  const TestChain second_ = make_chain({.sans = {"www.example.com", "api.example.com"}});
};

TEST_F(BundleCacheTest, UnchangedFilesAreNotParsedAgain) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  const ObservedBundle parsed = read({lineage.cert, lineage.key});
  ASSERT_TRUE(parsed.bundle) << parsed.error;
  EXPECT_FALSE(parsed.cached);
  ASSERT_TRUE(cache_.contains("site"));
  EXPECT_EQ(cache_.at("site").facts, parsed.bundle->facts());

  const ObservedBundle cached = read({lineage.cert, lineage.key});
  EXPECT_FALSE(cached.bundle) << "parsed although nothing changed";
  ASSERT_TRUE(cached.cached);
  ASSERT_NE(cached.facts(), nullptr);
  EXPECT_EQ(*cached.facts(), parsed.bundle->facts());
  EXPECT_EQ(cached.facts()->sha256, testing::sha256_fingerprint(first_.leaf));
  // The checks run on cached facts as on parsed ones.
  const SystemTime now = std::chrono::system_clock::now();
  EXPECT_EQ(cert::check_bundle(*cached.facts(), now), cert::check_bundle(*parsed.bundle, now));
}

TEST_F(BundleCacheTest, FilesSourceAlwaysParsesAndRefreshesTheEntry) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  const ObservedBundle again = read({lineage.cert, lineage.key}, BundleSource::Files);
  EXPECT_TRUE(again.bundle);
  EXPECT_TRUE(cache_.contains("site"));
}

TEST_F(BundleCacheTest, RewriteInPlaceIsParsedAgain) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  const auto inode = cache_.at("site").cert_file.inode;
  wait_for_timestamp_tick(lineage.cert);
  testing::write_lineage(temp_dir_, "site", second_.fullchain(), second_.key.pem());  // O_TRUNC
  const ObservedBundle after = read({lineage.cert, lineage.key});
  ASSERT_TRUE(after.bundle) << after.error;
  EXPECT_EQ(after.bundle->sha256(), testing::sha256_fingerprint(second_.leaf));
  EXPECT_EQ(cache_.at("site").cert_file.inode, inode) << "expected a rewrite in place";
  EXPECT_EQ(cache_.at("site").facts.sha256, testing::sha256_fingerprint(second_.leaf));
}

TEST_F(BundleCacheTest, RenameOverIsParsedAgain) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  const std::filesystem::path staged = temp_dir_.write("site/.fullchain.tmp", second_.fullchain());
  const std::filesystem::path staged_key = temp_dir_.write("site/.privkey.tmp", second_.key.pem());
  std::filesystem::rename(staged, lineage.cert);
  std::filesystem::rename(staged_key, lineage.key);
  const ObservedBundle after = read({lineage.cert, lineage.key});
  ASSERT_TRUE(after.bundle) << after.error;
  EXPECT_EQ(after.bundle->sha256(), testing::sha256_fingerprint(second_.leaf));
  EXPECT_TRUE(after.bundle->key_matches_leaf());
}

TEST_F(BundleCacheTest, ChmodOfTheKeyIsParsedAgain) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  const ObservedBundle before = read({lineage.cert, lineage.key});
  ASSERT_TRUE(before.bundle);
  EXPECT_TRUE(before.bundle->load_warnings().empty());
  wait_for_timestamp_tick(lineage.key);
  std::filesystem::permissions(lineage.key, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const ObservedBundle after = read({lineage.cert, lineage.key});
  ASSERT_TRUE(after.bundle) << "a chmod changes the ctime: the facts must be read again";
  // The facts depend on the mode: a key readable by everyone is warned about.
  EXPECT_EQ(after.bundle->load_warnings().size(), 1U);
  EXPECT_EQ(cache_.at("site").facts.load_warnings.size(), 1U);
}

TEST_F(BundleCacheTest, CertbotSymlinkSwapIsParsedAgain) {
  const testing::Lineage lineage =
      testing::write_certbot_lineage(temp_dir_, "letsencrypt", "site", first_, 1);
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  ASSERT_FALSE(read({lineage.cert, lineage.key}).bundle);  // cached
  testing::write_certbot_lineage(temp_dir_, "letsencrypt", "site", second_, 2);
  const ObservedBundle after = read({lineage.cert, lineage.key});
  ASSERT_TRUE(after.bundle) << after.error;
  EXPECT_EQ(after.bundle->sha256(), testing::sha256_fingerprint(second_.leaf));
  EXPECT_TRUE(after.bundle->key_matches_leaf());
  EXPECT_EQ(cache_.at("site").facts.sha256, testing::sha256_fingerprint(second_.leaf));
}

TEST_F(BundleCacheTest, OtherPathsToTheSameFilesAreParsed) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  // A reload that points the binding at a link to the same files: the messages name the
  // configured paths, so the facts are made again.
  std::filesystem::create_symlink(lineage.cert, temp_dir_ / "cert-link.pem");
  const ObservedBundle after = read({temp_dir_ / "cert-link.pem", lineage.key});
  ASSERT_TRUE(after.bundle);
  EXPECT_EQ(after.bundle->paths().cert, temp_dir_ / "cert-link.pem");
}

TEST_F(BundleCacheTest, FilesThatNoLongerLoadDropTheEntry) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  std::filesystem::remove(lineage.key);
  const ObservedBundle after = read({lineage.cert, lineage.key});
  EXPECT_EQ(after.facts(), nullptr);
  EXPECT_NE(after.error.find("privkey.pem"), std::string::npos) << after.error;
  EXPECT_FALSE(cache_.contains("site"));
}

TEST_F(BundleCacheTest, RacyFilesAreParsedEveryTime) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  // The real window: the files were written just now.
  for (int pass = 0; pass < 2; ++pass) {
    const ObservedBundle observed_bundle = read_bundle("site", {lineage.cert, lineage.key}, cache_,
                                                       BundleSource::CacheWhenUnchanged, decoders_);
    EXPECT_TRUE(observed_bundle.bundle) << "pass " << pass;
    EXPECT_FALSE(cache_.contains("site")) << "pass " << pass;
  }
}

TEST_F(BundleCacheTest, ACorruptEntryOnlyMeansParsing) {
  const testing::Lineage lineage =
      testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
  ASSERT_TRUE(read({lineage.cert, lineage.key}).bundle);
  cache_.at("site").cert_file.inode += 1;  // as if another file had been cached
  const ObservedBundle after = read({lineage.cert, lineage.key});
  ASSERT_TRUE(after.bundle);
  EXPECT_EQ(cache_.at("site").facts, after.bundle->facts());
}

}  // namespace
}  // namespace apig_certd::engine::bundle_cache_test
