// Watcher against the way real ACME clients and Kubernetes put certificates on disk. Each
// test builds the client's layout, lets the Watcher plan its watches, replays a renewal the
// way that client performs it, and expects the binding to be marked within a bounded wait.

#include <fcntl.h>
#include <unistd.h>

#include "tests/unit/watch/watcher_fixture.h"

namespace apig_certd::watch::watcher_producers_test {
namespace {

namespace fs = std::filesystem;

class WatcherProducerTest : public WatcherFixture {};

TEST_F(WatcherProducerTest, CertbotRenewalMarksTheBinding) {
  for (const char* name : {"cert", "chain", "fullchain", "privkey"}) {
    write(std::string("archive/a/") + name + "1.pem");
    symlink(std::string("../../archive/a/") + name + "1.pem",
            std::string("live/a/") + name + ".pem");
  }
  set_files({{"a", {path("live/a/fullchain.pem"), path("live/a/privkey.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("archive/a"), path("live/a")}));

  // certbot writes the new version into archive/, then re-points each live/ link.
  for (const char* name : {"cert", "chain", "fullchain", "privkey"}) {
    write(std::string("archive/a/") + name + "2.pem", "renewed");
  }
  for (const char* name : {"cert", "chain", "fullchain", "privkey"}) {
    ASSERT_TRUE(fs::remove(path(std::string("live/a/") + name + ".pem")));
    symlink(std::string("../../archive/a/") + name + "2.pem",
            std::string("live/a/") + name + ".pem");
  }

  EXPECT_TRUE(read_until("a").contains("a"));
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("archive/a"), path("live/a")}));
}

TEST_F(WatcherProducerTest, LegoInPlaceRewriteMarksTheBinding) {
  write("lego/certificates/example.com.crt");
  write("lego/certificates/example.com.key");
  set_files(
      {{"lego",
        {path("lego/certificates/example.com.crt"), path("lego/certificates/example.com.key")}}});

  // lego truncates and rewrites the files where they are.
  const int fd =
      ::open(path("lego/certificates/example.com.crt").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "renewed", 7), 7);
  ASSERT_EQ(::close(fd), 0);

  EXPECT_TRUE(read_until("lego").contains("lego"));
}

TEST_F(WatcherProducerTest, RenameIntoPlaceMarksTheBinding) {
  write("tls/cert.pem");
  write("tls/key.pem");
  set_files({{"site", {path("tls/cert.pem"), path("tls/key.pem")}}});

  write("tls/.cert.pem.tmp", "renewed");
  rename("tls/.cert.pem.tmp", "tls/cert.pem");

  EXPECT_TRUE(read_until("site").contains("site"));
}

TEST_F(WatcherProducerTest, DehydratedLinkSwapMarksTheBinding) {
  write("certs/example.com/cert-100.pem");
  write("certs/example.com/privkey-100.pem");
  symlink("cert-100.pem", "certs/example.com/cert.pem");
  symlink("privkey-100.pem", "certs/example.com/privkey.pem");
  set_files(
      {{"example", {path("certs/example.com/cert.pem"), path("certs/example.com/privkey.pem")}}});

  // `ln -sf` as GNU coreutils does it: a link under a temporary name, renamed over the old.
  write("certs/example.com/cert-200.pem", "renewed");
  symlink("cert-200.pem", "certs/example.com/cert.pem.tmp123");
  rename("certs/example.com/cert.pem.tmp123", "certs/example.com/cert.pem");

  EXPECT_TRUE(read_until("example").contains("example"));
}

TEST_F(WatcherProducerTest, KubernetesDataSwapMarksTheBindingAndMovesTheWatch) {
  const std::string old_data = "m/..2026_11_28_10_00_00.123";
  const std::string new_data = "m/..2026_11_28_11_00_00.456";
  write(old_data + "/tls.crt");
  write(old_data + "/tls.key");
  symlink("..2026_11_28_10_00_00.123", "m/..data");
  symlink("..data/tls.crt", "m/tls.crt");
  symlink("..data/tls.key", "m/tls.key");
  set_files({{"ingress", {path("m/tls.crt"), path("m/tls.key")}}});
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("m"), path(old_data)}));

  // The kubelet's AtomicWriter: new timestamped directory, ..data_tmp link, rename over
  // ..data, remove the old directory.
  write(new_data + "/tls.crt", "renewed");
  write(new_data + "/tls.key", "renewed");
  symlink("..2026_11_28_11_00_00.456", "m/..data_tmp");
  rename("m/..data_tmp", "m/..data");
  std::error_code error;
  fs::remove_all(path(old_data), error);
  ASSERT_FALSE(error) << error.message();

  EXPECT_TRUE(read_until("ingress").contains("ingress"));
  EXPECT_EQ(watcher().watched_directories(), (Directories{path("m"), path(new_data)}));

  // The new data directory is really watched.
  write(new_data + "/tls.crt", "again");
  EXPECT_TRUE(read_until("ingress").contains("ingress"));
}

TEST_F(WatcherProducerTest, DirectoryCreatedLaterIsFollowedAsItAppears) {
  set_files({{"late", {path("later/sub/cert.pem"), path("later/sub/key.pem")}}});
  EXPECT_EQ(watcher().watched_directories(), Directories{root()});

  write("later/sub/cert.pem");
  write("later/sub/key.pem");

  EXPECT_TRUE(read_until("late").contains("late"));
  // Re-arming moves the watch down as the directories appear; allow a few reads for that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (watcher().watched_directories() != Directories{path("later/sub")} &&
         wait_readable(deadline)) {
    read_quietly();
  }
  EXPECT_EQ(watcher().watched_directories(), Directories{path("later/sub")});

  write("later/sub/cert.pem", "renewed");
  EXPECT_TRUE(read_until("late").contains("late"));
}

}  // namespace
}  // namespace apig_certd::watch::watcher_producers_test
