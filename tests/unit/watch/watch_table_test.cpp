// WatchTable bookkeeping: a watch descriptor shared by several paths (same inode) is only
// released when its last path goes.

#include "daemon/watch/watch_table.h"

#include <gtest/gtest.h>

namespace apig_certd::watch::watch_table_test {
namespace {

using Paths = std::vector<std::filesystem::path>;

TEST(WatchTable, RemovingTheOnlyDirectoryReleasesItsDescriptor) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.wd("/a"), 1);
  EXPECT_EQ(table.directories(1), std::set<std::string>{"/a"});
  EXPECT_EQ(table.remove("/a"), 1);
  EXPECT_EQ(table.wd("/a"), std::nullopt);
  EXPECT_TRUE(table.directories(1).empty());
  EXPECT_TRUE(table.directories().empty());
}

TEST(WatchTable, DirectoriesAreSortedAsPathsNotAsText) {
  // The table keys directories by their text; the list is still in path order, in which
  // "/live/a" comes before "/live-old" (as text, '-' sorts before '/').
  WatchTable table;
  EXPECT_EQ(table.add("/live-old", 1), std::nullopt);
  EXPECT_EQ(table.add("/live/a", 2), std::nullopt);
  EXPECT_EQ(table.add("/live", 3), std::nullopt);
  EXPECT_EQ(table.directories(), (Paths{"/live", "/live/a", "/live-old"}));
  EXPECT_EQ(table.wd("/live/a"), 2);
  EXPECT_EQ(table.remove("/live-old"), 1);
  EXPECT_EQ(table.directories(), (Paths{"/live", "/live/a"}));
}

TEST(WatchTable, SharedDescriptorIsKeptUntilItsLastDirectoryGoes) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.add("/b", 1), std::nullopt);
  EXPECT_EQ(table.directories(), (Paths{"/a", "/b"}));
  EXPECT_EQ(table.remove("/a"), std::nullopt);
  EXPECT_EQ(table.wd("/b"), 1);
  EXPECT_EQ(table.remove("/b"), 1);
}

TEST(WatchTable, AddingTheSameDescriptorAgainChangesNothing) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.remove("/a"), 1);
}

TEST(WatchTable, DirectoryUnderANewDescriptorReleasesTheOldOne) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.add("/a", 2), 1);
  EXPECT_EQ(table.wd("/a"), 2);
  EXPECT_TRUE(table.directories(1).empty());
}

TEST(WatchTable, DirectoryUnderANewDescriptorKeepsTheOldOneWhileShared) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.add("/b", 1), std::nullopt);
  EXPECT_EQ(table.add("/a", 2), std::nullopt);
  EXPECT_EQ(table.directories(1), std::set<std::string>{"/b"});
}

TEST(WatchTable, ForgetDropsEveryDirectoryOfTheDescriptor) {
  WatchTable table;
  EXPECT_EQ(table.add("/a", 1), std::nullopt);
  EXPECT_EQ(table.add("/b", 1), std::nullopt);
  EXPECT_EQ(table.add("/c", 2), std::nullopt);
  table.forget(1);
  table.forget(99);
  EXPECT_EQ(table.directories(), Paths{"/c"});
  EXPECT_EQ(table.remove("/a"), std::nullopt);
}

TEST(WatchTable, UnknownEntriesAreEmpty) {
  const WatchTable table;
  EXPECT_TRUE(table.directories(-1).empty());
  EXPECT_EQ(table.wd("/nowhere"), std::nullopt);
}

}  // namespace
}  // namespace apig_certd::watch::watch_table_test
