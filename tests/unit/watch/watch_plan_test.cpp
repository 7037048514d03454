// directories_for() against real trees in a temp dir: plain files, the symlink layouts of
// certbot, Kubernetes and dehydrated, missing directories, and links that never end. The
// temp dir is canonicalised first, so no symlink above it adds directories to the answers.

#include "daemon/watch/watch_plan.h"

#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace apig_certd::watch::watch_plan_test {
namespace {

namespace fs = std::filesystem;

class WatchPlanTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = fs::canonical(temp_dir_.path()); }

  [[nodiscard]] const fs::path& root() const { return root_; }
  [[nodiscard]] const testing::TempDir& temp_dir() const { return temp_dir_; }

  void symlink(const fs::path& target, const std::string& link) const {
    std::error_code error;
    fs::create_directories((root() / link).parent_path(), error);
    fs::create_symlink(target, root() / link, error);
    ASSERT_FALSE(error) << link << ": " << error.message();
  }

  void mkdir(const std::string& relative) const {
    std::error_code error;
    fs::create_directories(root() / relative, error);
    ASSERT_FALSE(error) << relative << ": " << error.message();
  }

 private:
  testing::TempDir temp_dir_;
  fs::path root_;
};

using Directories = std::set<fs::path>;

TEST_F(WatchPlanTest, PlainFileIsWatchedInItsDirectory) {
  temp_dir().write("lego/certificates/example.com.crt", "pem");
  EXPECT_EQ(directories_for(root() / "lego/certificates/example.com.crt"),
            Directories{root() / "lego/certificates"});
}

TEST_F(WatchPlanTest, PathIsMadeLexicallyNormal) {
  temp_dir().write("a/cert.pem", "pem");
  mkdir("b");
  EXPECT_EQ(directories_for(root() / "a/./../b/../a//cert.pem"), Directories{root() / "a"});
}

TEST_F(WatchPlanTest, MissingFileInAnExistingDirectoryWatchesTheDirectory) {
  mkdir("live/a");
  EXPECT_EQ(directories_for(root() / "live/a/cert.pem"), Directories{root() / "live/a"});
}

TEST_F(WatchPlanTest, CertbotLiveLinksAddTheArchiveDirectory) {
  temp_dir().write("archive/a/fullchain3.pem", "pem");
  symlink("../../archive/a/fullchain3.pem", "live/a/fullchain.pem");
  EXPECT_EQ(directories_for(root() / "live/a/fullchain.pem"),
            (Directories{root() / "live/a", root() / "archive/a"}));
}

TEST_F(WatchPlanTest, AbsoluteLinkTargetIsFollowed) {
  temp_dir().write("store/cert.pem", "pem");
  symlink(root() / "store/cert.pem", "etc/cert.pem");
  EXPECT_EQ(directories_for(root() / "etc/cert.pem"),
            (Directories{root() / "etc", root() / "store"}));
}

TEST_F(WatchPlanTest, LinkTargetsWithDotsAndRepeatedSlashesAreResolvedLikeTheKernelDoes) {
  temp_dir().write("archive/a/cert1.pem", "pem");
  symlink(".//..//archive/./a//cert1.pem", "live/cert.pem");
  symlink("../../../../../../../../../../../../../../../.." + root().string() + "/archive/a/",
          "up/a");
  EXPECT_EQ(directories_for(root() / "live/cert.pem"),
            (Directories{root() / "live", root() / "archive/a"}));
  EXPECT_EQ(directories_for(root() / "up/a/cert1.pem"),
            (Directories{root() / "up", root() / "archive/a"}));
}

TEST_F(WatchPlanTest, EveryHopOfAChainIsWatched) {
  temp_dir().write("c/cert.pem", "pem");
  symlink("../c/cert.pem", "b/cert.pem");
  symlink("../b/cert.pem", "a/cert.pem");
  EXPECT_EQ(directories_for(root() / "a/cert.pem"),
            (Directories{root() / "a", root() / "b", root() / "c"}));
}

TEST_F(WatchPlanTest, KubernetesDataLinkIsResolvedToTheTimestampDirectory) {
  temp_dir().write("m/..2026_11_28_10_00_00.123/tls.crt", "pem");
  symlink("..2026_11_28_10_00_00.123", "m/..data");
  symlink("..data/tls.crt", "m/tls.crt");
  EXPECT_EQ(directories_for(root() / "m/tls.crt"),
            (Directories{root() / "m", root() / "m/..2026_11_28_10_00_00.123"}));
}

TEST_F(WatchPlanTest, SymlinkedDirectoryComponentIsResolved) {
  temp_dir().write("real/site/cert.pem", "pem");
  symlink("real", "alias");
  EXPECT_EQ(directories_for(root() / "alias/site/cert.pem"),
            (Directories{root(), root() / "real/site"}));
}

TEST_F(WatchPlanTest, MissingDirectoryIsWatchedThroughItsNearestExistingAncestor) {
  EXPECT_EQ(directories_for(root() / "notyet/a/cert.pem"), Directories{root()});
  mkdir("notyet");
  EXPECT_EQ(directories_for(root() / "notyet/a/cert.pem"), Directories{root() / "notyet"});
}

TEST_F(WatchPlanTest, DanglingLinkWatchesWhereItsTargetWillAppear) {
  symlink("../../archive/a/cert1.pem", "live/a/cert.pem");
  EXPECT_EQ(directories_for(root() / "live/a/cert.pem"), (Directories{root() / "live/a", root()}));
}

TEST_F(WatchPlanTest, FileUsedAsADirectoryWatchesTheFilesDirectory) {
  temp_dir().write("d/file.txt", "not a directory");
  EXPECT_EQ(directories_for(root() / "d/file.txt/cert.pem"), Directories{root() / "d"});
}

TEST_F(WatchPlanTest, SymlinkLoopTerminates) {
  symlink("../y/loop", "x/loop");
  symlink("../x/loop", "y/loop");
  EXPECT_EQ(directories_for(root() / "x/loop"), (Directories{root() / "x", root() / "y"}));
  symlink("self", "z/self");
  EXPECT_EQ(directories_for(root() / "z/self/cert.pem"), Directories{root() / "z"});
}

TEST_F(WatchPlanTest, ChainLongerThanTheKernelFollowsIsCut) {
  temp_dir().write("d50/cert.pem", "pem");
  for (int i = 0; i < 50; ++i) {
    symlink("../d" + std::to_string(i + 1) + "/cert.pem", "d" + std::to_string(i) + "/cert.pem");
  }
  const Directories directories = directories_for(root() / "d0/cert.pem");
  EXPECT_EQ(directories.size(), static_cast<std::size_t>(kMaxSymlinkHops));
  EXPECT_FALSE(directories.contains(root() / "d50"));
  EXPECT_EQ(directories_for(root() / "d10/cert.pem").size(), 41U);  // 40 links and the file.
}

TEST_F(WatchPlanTest, AWalkerGivesEachFileTheAnswerOfItsOwnWalkAndExaminesSharedPartsOnce) {
  // Two certbot lineages, a Kubernetes-style directory link, a missing file and a loop.
  for (const std::string name : {"a", "b"}) {
    temp_dir().write("archive/" + name + "/fullchain1.pem", "pem");
    temp_dir().write("archive/" + name + "/privkey1.pem", "pem");
    symlink("../../archive/" + name + "/fullchain1.pem", "live/" + name + "/fullchain.pem");
    symlink("../../archive/" + name + "/privkey1.pem", "live/" + name + "/privkey.pem");
  }
  temp_dir().write("secret/..2026_11_28/tls.crt", "pem");
  symlink("..2026_11_28", "secret/..data");
  symlink("..data/tls.crt", "secret/tls.crt");
  symlink("loop2", "loops/loop1");
  symlink("loop1", "loops/loop2");
  const std::vector<fs::path> files{
      root() / "live/a/fullchain.pem", root() / "live/a/privkey.pem",
      root() / "live/b/fullchain.pem", root() / "live/b/privkey.pem",
      root() / "secret/tls.crt",       root() / "live/c/fullchain.pem",
      root() / "loops/loop1"};
  PathWalker walker;
  for (const fs::path& file : files) {
    EXPECT_EQ(walker.directories_for(file), directories_for(file)) << file;
  }
  const std::size_t examined = walker.examined();
  // Walking the same files again examines nothing new.
  for (const fs::path& file : files) {
    EXPECT_EQ(walker.directories_for(file), directories_for(file)) << file;
  }
  EXPECT_EQ(walker.examined(), examined);
  // Each path once: far fewer than the components of all the walks together.
  PathWalker single;
  (void)single.directories_for(files.front());
  EXPECT_LT(walker.examined(), single.examined() * files.size());
}

}  // namespace
}  // namespace apig_certd::watch::watch_plan_test
