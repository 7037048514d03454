// The reconciler with the bundle cache (engine/reconciler.h, bundle_cache.h), in process over a
// transport that answers from memory: a binding observed from the cache is in sync without a
// parse; a planned write loads the files first and binds what they hold; and when the files
// change between the observation and the write (here: while the pass reads the API group, the
// seam a real renewal would race through), nothing is written and the target fails as
// retryable, saying so. Real files and certificates; the Reconciler's cache is warmed as a
// previous pass over files older than the racy window would have left it, and one Reconciler
// runs every pass of a test, as in the daemon.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/apig/client.h"
#include "daemon/auth/aksk_authenticator.h"
#include "daemon/cert/certificate_name.h"
#include "daemon/engine/reconciler.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::engine::reconciler_bundle_cache_test {
namespace {

using testing::TempDir;
using testing::TestChain;

constexpr const char* kDomain = "www.example.com";

// Answers GET with the group (its one domain bound to `bound_name`, or to nothing) and POST
// with 201; calls `on_get` before answering a GET. Records the POST bodies.
class MemoryTransport final : public http::Transport {
 public:
  struct Script {
    std::mutex mutex;
    std::string bound_name;
    std::function<void()> on_get;
    std::vector<std::string> post_bodies;
    int gets = 0;
  };

  explicit MemoryTransport(Script& script) : script_(script) {}

  Result<http::Response> send(const http::Request& request) override {
    const std::lock_guard lock(script_.mutex);
    http::Response response;
    response.headers.push_back({"Content-Type", "application/json"});
    if (request.method == "POST") {
      script_.post_bodies.emplace_back(request.body.view());
      response.status = 201;
      response.body =
          R"({"id":"d0","url_domain":"www.example.com","status":3,"min_ssl_version":"TLSv1.2","ssl_id":"ssl-new","ssl_name":""})";
      return response;
    }
    ++script_.gets;
    if (script_.on_get) {
      std::exchange(script_.on_get, nullptr)();
    }
    response.status = 200;
    response.body =
        R"({"id":"g","name":"group","sl_domain":"g.apic.example","url_domains":[{"id":"d0","domain":"www.example.com","cname_status":3,"ssl_id":")" +
        std::string(script_.bound_name.empty() ? "" : "ssl-old") + R"(","ssl_name":")" +
        script_.bound_name + R"(","min_ssl_version":"TLSv1.2"}]})";
    return response;
  }

 private:
  Script& script_;
};

class ReconcilerBundleCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lineage_ = testing::write_lineage(temp_dir_, "site", first_.fullchain(), first_.key.pem());
    config_.apig.endpoint = "https://apig.example.test";
    config_.apig.project_id = "project";
    config_.daemon.concurrency = 2;
    settings::BindingSettings binding;
    binding.name = "site";
    binding.cert_name = "site";
    binding.cert = lineage_.cert;
    binding.key = lineage_.key;
    settings::TargetSettings target;
    target.instance_id = "instance";
    target.group_id = "g";
    target.domain = kDomain;
    binding.targets.push_back(target);
    config_.bindings.push_back(binding);
    key_ = state::target_key("site", "instance", "g", kDomain, "");
    const engine::ClientFactory clients = [this]() -> Result<apig::ClientHandle> {
      ++clients_made_;
      apig::ClientHandle handle;
      handle.transport = std::make_unique<MemoryTransport>(script_);
      handle.client = std::make_unique<apig::Client>(
          *handle.transport, authenticator_,
          apig::ClientOptions{config_.apig.endpoint, config_.apig.project_id,
                              config_.apig.timeout});
      return handle;
    };
    reconciler_ = std::make_unique<Reconciler>(config_, clients, clock_);
  }

  // The cache entry a pass over these files long after they were written would have left.
  void warm_cache() {
    const Result<sys::ObservedFile> cert_file = sys::observe_file(lineage_.cert);
    const Result<sys::ObservedFile> key_file = sys::observe_file(lineage_.key);
    Result<cert::Bundle> bundle = cert::load_bundle({lineage_.cert, lineage_.key});
    ASSERT_TRUE(cert_file && key_file && bundle);
    cache()["site"] = {cert_file->identity, key_file->identity, bundle->facts()};
  }

  BundleCache& cache() { return reconciler_->bundle_cache(); }

  ReconcileReport run() {
    ReconcileOptions options;
    options.wait_for_cname = false;
    options.bundles = BundleSource::CacheWhenUnchanged;
    Result<ReconcileReport> report = reconciler_->run(state_, options);
    EXPECT_TRUE(report) << report.error().to_string();
    EXPECT_TRUE(report && report->outcomes.size() == 1U);
    return report ? *report : ReconcileReport{};
  }

  std::string name_of(const TestChain& chain) {
    Result<cert::Bundle> bundle = cert::parse_bundle(chain.fullchain(), chain.key.pem(), {});
    EXPECT_TRUE(bundle);
    return bundle ? cert::certificate_name("site", *bundle) : "";
  }

  // Whether `body` carries `chain`'s leaf (a base64 line of it; a JSON string keeps those).
  static bool carries(const std::string& body, const TestChain& chain) {
    const std::size_t start = chain.leaf.find('\n') + 1;
    return body.find(chain.leaf.substr(start, 64)) != std::string::npos;
  }

  TempDir temp_dir_;
  const TestChain first_ = testing::make_chain({.sans = {kDomain}});
  const TestChain second_ = testing::make_chain({.sans = {kDomain, "api.example.com"}});
  testing::Lineage lineage_;
  settings::Settings config_;
  std::string key_;
  state::State state_;
  MemoryTransport::Script script_;
  const SystemClock clock_;
  auth::AkSkAuthenticator authenticator_{
      [] { return Result<Secret>(Secret("TESTACCESSKEY0000001")); },
      [] { return Result<Secret>(Secret("test-secret-key-0123456789abcdef")); }, std::nullopt,
      "project", clock_};
  std::unique_ptr<Reconciler> reconciler_;
  int clients_made_ = 0;
};

TEST_F(ReconcilerBundleCacheTest, InSyncFromTheCacheParsesNothing) {
  warm_cache();
  script_.bound_name = name_of(first_);
  const ReconcileReport report = run();
  EXPECT_EQ(report.outcomes[0].result, state::TargetResult::InSync) << report.outcomes[0].detail;
  EXPECT_EQ(report.bundles_cached, 1);
  EXPECT_EQ(report.bundles_parsed, 0);
  EXPECT_EQ(report.writes, 0);
  EXPECT_EQ(state_.targets.at(key_).disk_sha256, testing::sha256_fingerprint(first_.leaf));
}

TEST_F(ReconcilerBundleCacheTest, AWriteLoadsTheFilesAndBindsWhatTheyHold) {
  warm_cache();
  script_.bound_name = "console_cert";  // drift: ours is to be bound again
  const ReconcileReport report = run();
  EXPECT_EQ(report.outcomes[0].result, state::TargetResult::Bound) << report.outcomes[0].detail;
  EXPECT_EQ(report.bundles_cached, 1);
  EXPECT_EQ(report.bundles_parsed, 1) << "the files are loaded once, for the write";
  ASSERT_EQ(script_.post_bodies.size(), 1U);
  EXPECT_TRUE(carries(script_.post_bodies[0], first_));
  EXPECT_NE(script_.post_bodies[0].find(name_of(first_)), std::string::npos);
  EXPECT_EQ(state_.targets.at(key_).bound_sha256, testing::sha256_fingerprint(first_.leaf));
}

TEST_F(ReconcilerBundleCacheTest, FilesChangedDuringThePassAreNotWritten) {
  warm_cache();
  // The renewal lands while the pass reads the group: after the observation (from the
  // cache: the first certificate), before the write.
  script_.on_get = [this] {
    const std::filesystem::path cert = temp_dir_.write("site/.new-fullchain", second_.fullchain());
    const std::filesystem::path key = temp_dir_.write("site/.new-privkey", second_.key.pem());
    std::filesystem::rename(cert, lineage_.cert);
    std::filesystem::rename(key, lineage_.key);
  };
  const ReconcileReport report = run();
  const TargetOutcome& outcome = report.outcomes[0];
  EXPECT_EQ(outcome.result, state::TargetResult::Failed);
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.detail.find("changed during the pass"), std::string::npos) << outcome.detail;
  EXPECT_NE(outcome.detail.find(testing::sha256_fingerprint(first_.leaf).substr(0, 8)),
            std::string::npos)
      << outcome.detail;
  EXPECT_NE(outcome.detail.find(testing::sha256_fingerprint(second_.leaf).substr(0, 8)),
            std::string::npos)
      << outcome.detail;
  EXPECT_TRUE(script_.post_bodies.empty()) << "wrote although the files changed";
  EXPECT_EQ(report.writes, 0);
  const state::TargetState& target = state_.targets.at(key_);
  ASSERT_TRUE(target.last_error);
  EXPECT_EQ(target.last_error->code, "Unavailable");  // retryable
  EXPECT_TRUE(target.next_attempt);
  EXPECT_EQ(target.failed_sha256, testing::sha256_fingerprint(first_.leaf));
  // The new files are seconds old (racy): not cached, so the next pass parses them.
  EXPECT_FALSE(cache().contains("site"));

  // The next pass binds the new certificate with its own key.
  const ReconcileReport next = run();
  EXPECT_EQ(next.outcomes[0].result, state::TargetResult::Bound) << next.outcomes[0].detail;
  ASSERT_EQ(script_.post_bodies.size(), 1U);
  EXPECT_TRUE(carries(script_.post_bodies[0], second_));
  EXPECT_NE(script_.post_bodies[0].find(name_of(second_)), std::string::npos);
  EXPECT_EQ(state_.targets.at(key_).bound_sha256, testing::sha256_fingerprint(second_.leaf));
}

TEST_F(ReconcilerBundleCacheTest, AFullPassForgetsBindingsNoLongerConfigured) {
  warm_cache();
  cache()["removed"] = cache().at("site");
  script_.bound_name = name_of(first_);
  run();
  EXPECT_TRUE(cache().contains("site"));
  EXPECT_FALSE(cache().contains("removed"));
}

// The daemon's hold (ReconcileOptions::hold_if_invalid): a binding whose files just changed and
// whose key no longer matches its certificate (caught between an ACME client's writes) is left
// alone, nothing planned, written or recorded, and reported as held; without the hold the same
// files are an invalid bundle, recorded as such.
TEST_F(ReconcilerBundleCacheTest, AMidChangeBundleIsHeldInsteadOfRecorded) {
  temp_dir_.write("site/.key", testing::make_key(testing::KeyKind::EcP256).pem());
  std::filesystem::rename(temp_dir_.path() / "site/.key", lineage_.key);
  ReconcileOptions options;
  options.wait_for_cname = false;
  options.hold_if_invalid = {"site"};
  Result<ReconcileReport> held = reconciler_->run(state_, options);
  ASSERT_TRUE(held) << held.error().to_string();
  ASSERT_EQ(held->held.size(), 1U) << (held->outcomes.empty() ? "" : held->outcomes[0].detail);
  EXPECT_EQ(held->held[0].binding, "site");
  EXPECT_FALSE(held->held[0].problem.empty());
  EXPECT_TRUE(held->outcomes.empty());
  EXPECT_FALSE(state_.targets.contains(key_)) << "a held binding is not recorded";
  EXPECT_TRUE(script_.post_bodies.empty());

  options.hold_if_invalid.clear();
  Result<ReconcileReport> reported = reconciler_->run(state_, options);
  ASSERT_TRUE(reported) << reported.error().to_string();
  EXPECT_TRUE(reported->held.empty());
  ASSERT_EQ(reported->outcomes.size(), 1U);
  EXPECT_EQ(reported->outcomes[0].result, state::TargetResult::Invalid);
  EXPECT_EQ(state_.targets.at(key_).last_result, state::TargetResult::Invalid);
  EXPECT_TRUE(script_.post_bodies.empty());
}

// The daemon keeps a pass's clients for the next pass, and lets go of them (with the key
// decoders) when it sleeps longer than a connection is worth keeping; the bundle cache stays.
TEST_F(ReconcilerBundleCacheTest, ReleasedClientsAreMadeAnewAndTheCacheStays) {
  warm_cache();
  script_.bound_name = name_of(first_);
  (void)run();
  EXPECT_EQ(clients_made_, 1);
  EXPECT_EQ(reconciler_->idle_clients(), 1U);
  (void)run();
  EXPECT_EQ(clients_made_, 1) << "the kept client serves the second pass";

  reconciler_->release_idle_clients();
  EXPECT_EQ(reconciler_->idle_clients(), 0U);
  EXPECT_TRUE(cache().contains("site"));
  const ReconcileReport report = run();
  EXPECT_EQ(clients_made_, 2) << "the pass after the release makes its client anew";
  EXPECT_EQ(report.outcomes[0].result, state::TargetResult::InSync) << report.outcomes[0].detail;
  EXPECT_EQ(report.bundles_cached, 1);
}

}  // namespace
}  // namespace apig_certd::engine::reconciler_bundle_cache_test
