#pragma once

// RunTest: the fixture of the `apig-certd run` integration tests. On top of SyncTest (the
// simulator, config and certificates) it starts the real daemon in the background with a
// test-owned NOTIFY_SOCKET, and replays ACME clients' exact write sequences in the temp dir.
// Every wait is bounded; the daemon is stopped (SIGTERM, then SIGKILL) at the end of each
// test and everything it printed is scanned for secrets like every other output.

#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "tests/integration/sync_fixture.h"
#include "tests/support/background_process.h"
#include "tests/support/notify_socket.h"

namespace apig_certd::testing {

using std::chrono::milliseconds;

// When the simulator logged a request ("2026-11-28T10:00:00.123456Z"), as a wall-clock time.
inline std::optional<SystemTime> parse_sim_time(const std::string& text) {
  std::tm parts{};
  int micros = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &micros) < 6) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(::timegm(&parts)) +
         std::chrono::microseconds(micros);
}

// Writes a file in place the way lego and acme.sh do: open with O_TRUNC, then write.
inline void rewrite_in_place(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path;
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    ASSERT_GT(n, 0);
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Replaces `link` with a symlink to `target` atomically (`ln -sf` of coreutils: a temporary
// link renamed over the old one).
inline void replace_symlink(const std::filesystem::path& target,
                            const std::filesystem::path& link) {
  const std::filesystem::path temporary = link.string() + ".tmp-ln";
  std::filesystem::remove(temporary);
  std::filesystem::create_symlink(target, temporary);
  std::filesystem::rename(temporary, link);
}

// A certificate for `domains`, valid from a day ago for `days`, with a key of its own (ACME
// clients make a new key per renewal by default), issued by a test intermediate CA.
inline TestChain renewal_chain(std::vector<std::string> domains, int days) {
  static const TestCa root = TestCa::create("apig-certd renewal test root");
  static const TestCa issuing = root.intermediate("apig-certd renewal test issuing CA");
  const TestKey key = make_key(KeyKind::EcP256);
  return {key,
          issuing.issue({.sans = std::move(domains),
                         .not_before_offset = std::chrono::hours(-24),
                         .not_after_offset = std::chrono::hours(24 * days)},
                        key),
          issuing.pem(), root.pem()};
}

// kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go, Write), step by step, for a Secret
// or ConfigMap volume at `volume` holding `files` (name -> content) with the volume's
// defaultMode `mode`:
//   (5) a new timestamped directory, os.MkdirTemp(volume, "..YYYY_MM_DD_HH_MM_SS.") (UTC,
//       random decimal digits appended), chmod 0755;
//   (6) every file written into it and chmod'ed to `mode`;
//   (8) the symlink "..data_tmp" -> that directory;
//   (9) "..data_tmp" renamed over "..data" (the one atomic switch);
//  (10) the user-visible links "name -> ..data/name" created where missing;
//  (12) the previous timestamped directory removed.
// A watch on tls.crt itself sees DELETE_SELF at (12); the links in (10) never change after the
// first write. Returns the wall-clock time of the last step.
inline SystemTime kubelet_atomic_write(
    const std::filesystem::path& volume,
    const std::vector<std::pair<std::string, std::string>>& files, std::filesystem::perms mode) {
  std::filesystem::create_directories(volume);
  std::string old_dir;
  if (std::filesystem::is_symlink(volume / "..data")) {
    old_dir = std::filesystem::read_symlink(volume / "..data").string();
  }
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "..%Y_%m_%d_%H_%M_%S.", &utc);
  std::random_device random;
  std::string data_dir;
  do {
    data_dir = stamp + std::to_string(random());
  } while (!std::filesystem::create_directory(volume / data_dir));
  std::filesystem::permissions(volume / data_dir, std::filesystem::perms(0755));
  for (const auto& [name, content] : files) {
    rewrite_in_place(volume / data_dir / name, content);
    std::filesystem::permissions(volume / data_dir / name, mode);
  }
  std::filesystem::create_symlink(data_dir, volume / "..data_tmp");
  std::filesystem::rename(volume / "..data_tmp", volume / "..data");
  for (const auto& [name, content] : files) {
    if (!std::filesystem::is_symlink(volume / name)) {
      std::filesystem::create_symlink(std::filesystem::path("..data") / name, volume / name);
    }
  }
  if (!old_dir.empty()) {
    std::filesystem::remove_all(volume / old_dir);
  }
  return std::chrono::system_clock::now();
}

class RunTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    debounce_ = "500ms";
  }

  void TearDown() override {
    if (daemon_) {
      daemon_->stop(milliseconds(15'000));
      const std::string err = daemon_->stderr_text();
      outputs_ += daemon_->stdout_text() + err;
      // Sanitizer builds: a report from the daemon fails the test that caused it.
      for (const char* report : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                                 "ERROR: LeakSanitizer", "runtime error:"}) {
        EXPECT_EQ(err.find(report), std::string::npos) << err;
      }
    }
    SyncTest::TearDown();
  }

  // Starts `apig-certd run` with the current config; `environment` adds to the child's.
  void start_daemon(std::map<std::string, std::string> environment = {}) {
    start_daemon_with(write_daemon_config(), std::move(environment));
  }

  // The current config with the daemon's timing lines, written to config.toml. The test's own
  // [daemon] lines (daemon_extra_) stay; the timing lines are added for this config only.
  std::filesystem::path write_daemon_config() {
    const std::string test_lines = daemon_extra_;
    daemon_extra_ += "debounce = \"" + debounce_ + "\"\nrescan_interval = \"" + rescan_ +
                     "\"\nlog_level = \"" + log_level_ + "\"\n";
    const std::filesystem::path config = write_config();
    daemon_extra_ = test_lines;
    return config;
  }

  // Starts `apig-certd run --config CONFIG`. Restartable: the socket of an earlier start is
  // replaced.
  void start_daemon_with(const std::filesystem::path& config,
                         std::map<std::string, std::string> environment = {}) {
    notify_.reset();
    std::filesystem::remove(temp_dir_.path() / "notify.sock");
    notify_ = std::make_unique<NotifySocket>(temp_dir_.path() / "notify.sock");
    ASSERT_TRUE(notify_->bound());
    environment.emplace("NOTIFY_SOCKET", notify_->path().string());
    environment.emplace("APIG_CERTD_CONFIG", "");
    environment.emplace("JOURNAL_STREAM", "");
    environment.emplace("WATCHDOG_USEC", "");
    daemon_ = BackgroundProcess::start({APIG_CERTD_BINARY, "run", "--config", config.string()},
                                       environment);
    ASSERT_NE(daemon_, nullptr);
  }

  // Waits for READY=1 (the first pass has ended).
  void wait_ready() {
    ASSERT_TRUE(notify_->wait_for("READY=1", milliseconds(20'000)))
        << "no READY=1; daemon stderr:\n"
        << daemon_->stderr_text();
  }

  std::string bound_fingerprint(const std::string& domain) const {
    const nlohmann::json certificate = sim_bound_certificate(domain);
    return certificate.is_object() ? certificate.value("fingerprint", "") : "";
  }

  // Waits until the simulator serves `fingerprint` on `domain`.
  bool wait_bound(const std::string& domain, const std::string& fingerprint,
                  milliseconds timeout = milliseconds(10'000)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (bound_fingerprint(domain) == fingerprint) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  // Waits until the daemon has logged `marker` and then, after its last occurrence, that its
  // next wake-up is the periodic rescan: every file event it read has been acted on and no
  // retry or poll is due, so nothing more happens unless something changes.
  bool wait_idle_after(const std::string& marker,
                       milliseconds timeout = milliseconds(10'000)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string err = daemon_->stderr_text();
      const std::size_t last = err.rfind(marker);
      if (last != std::string::npos && err.find(" (rescan)\n", last) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  // Waits until the daemon sleeps until its next rescan: no pass running, none due. A renewal
  // made before this may be bound by a pass that was already running (a CNAME poll asks for
  // one), before any debounce.
  bool wait_daemon_idle(milliseconds timeout = milliseconds(10'000)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string err = daemon_->stderr_text();
      const std::size_t wake = err.rfind("trace: next wake-up");
      if (wake != std::string::npos && err.find(" (rescan)\n", wake) != std::string::npos &&
          err.find("pass (", wake) == std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  // The time of the last POST the simulator logged.
  std::optional<SystemTime> last_post_time() const {
    std::optional<SystemTime> last;
    const nlohmann::json log = admin_get("/__admin/requests");
    for (const nlohmann::json& entry : log.value("requests", nlohmann::json::array())) {
      if (entry.value("method", "") == "POST") {
        last = parse_sim_time(entry.value("time", ""));
      }
    }
    return last;
  }

  // certbot renew, exactly: the new archive/NAME/*N.pem files first, then each live/ link
  // unlinked and re-created in the order cert, privkey, chain, fullchain, then archive
  // versions older than N-1 deleted. Returns the wall-clock time just before the last link swap.
  SystemTime certbot_renew(const std::string& name, const TestChain& chain, int version) {
    const std::filesystem::path archive = temp_dir_.path() / "letsencrypt/archive" / name;
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live" / name;
    std::filesystem::create_directories(archive);
    std::filesystem::create_directories(live);
    const std::string n = std::to_string(version);
    const std::pair<const char*, std::string> files[] = {{"cert", chain.leaf},
                                                         {"chain", chain.chain()},
                                                         {"fullchain", chain.fullchain()},
                                                         {"privkey", chain.key.pem()}};
    for (const auto& [stem, content] : files) {
      rewrite_in_place(archive / (std::string(stem) + n + ".pem"), content);
    }
    SystemTime swapped{};
    for (const char* stem : {"cert", "privkey", "chain", "fullchain"}) {
      const std::filesystem::path link = live / (std::string(stem) + ".pem");
      // Read before the swap, so the time is never later than its events: a test thread
      // preempted after the swap (a loaded CI machine, TSan) would otherwise measure a
      // debounce that looks too short (seen once: 198 ms for 500).
      swapped = std::chrono::system_clock::now();
      std::filesystem::remove(link);
      std::filesystem::create_symlink(
          std::filesystem::path("../../archive") / name / (std::string(stem) + n + ".pem"), link);
    }
    for (const char* stem : {"cert", "privkey", "chain", "fullchain"}) {
      std::filesystem::remove(archive / (std::string(stem) + std::to_string(version - 2) + ".pem"));
    }
    return swapped;
  }

  // certbot moving the live/ links back to an older archive version.
  void certbot_roll_back(const std::string& name, int version) {
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live" / name;
    for (const char* stem : {"cert", "privkey", "chain", "fullchain"}) {
      const std::filesystem::path link = live / (std::string(stem) + ".pem");
      std::filesystem::remove(link);
      std::filesystem::create_symlink(std::filesystem::path("../../archive") / name /
                                          (std::string(stem) + std::to_string(version) + ".pem"),
                                      link);
    }
  }

  // A [[binding]] with explicit cert and key paths and one target in group g1.
  void add_file_binding(const std::string& name, const std::filesystem::path& cert,
                        const std::filesystem::path& key, const std::string& domain) {
    bindings_ += "\n[[binding]]\nname = \"" + name + "\"\ncert = \"" + cert.string() +
                 "\"\nkey = \"" + key.string() + "\"\n  [[binding.target]]\n  instance_id = \"" +
                 kSyncInstance + "\"\n  group_id = \"g1\"\n  domain = \"" + domain + "\"\n";
  }

  std::unique_ptr<BackgroundProcess> daemon_;
  std::unique_ptr<NotifySocket> notify_;
  std::string debounce_;
  std::string rescan_ = "1h";
  std::string log_level_ = "trace";
};

}  // namespace apig_certd::testing
