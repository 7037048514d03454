// bind-cost: the CPU cost of one bind without the network, for scripts/bench.sh (issue 8).
//
// It runs the daemon's own reconciler pass (engine::Reconciler, the code behind `sync` and
// `run`) for the first target of the first binding of a normal config, over a transport that
// answers from memory: the group read (the domain, nothing bound) and the bind (201). So one
// measured pass is what a renewal costs apig-certd itself: the PEM files read and parsed, the
// checks, the certificate name, the plan, the AK/SK signature of both requests, the JSON
// body, and both responses parsed; no socket, no TLS, no simulator.
//
//   bind-cost CONFIG [ITERATIONS]
//
// One warm-up pass first (OpenSSL's and the credentials' first-use costs, which a daemon pays
// once), then ITERATIONS passes inside measured_passes(). scripts/bench.py runs it under
// callgrind twice, with ITERATIONS and with 0, and divides the difference: a pass parses the
// bundle on a thread of its own (engine/background_tasks.h), which callgrind's
// --toggle-collect, following one thread's calls, would not count. The state is reset before
// each pass, so every pass binds. Prints the wall time per pass (meaningful only outside
// valgrind).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "daemon/apig/client.h"
#include "daemon/auth/aksk_authenticator.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/engine/reconciler.h"
#include "daemon/http/transport.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace {

using namespace apig_certd;  // NOLINT(google-build-using-namespace): a one-file tool

// Answers GET with the target's group (the domain with no certificate) and POST with 201.
class CannedTransport final : public http::Transport {
 public:
  explicit CannedTransport(const settings::TargetSettings& target)
      : group_body_(
            R"({"id":")" + target.group_id + R"(","name":"bench","sl_domain":")" + target.group_id +
            R"(.apic.example","url_domains":[{"id":"d0","domain":")" + target.domain +
            R"(","cname_status":3,"ssl_id":"","ssl_name":"","min_ssl_version":"TLSv1.2"}]})"),
        bind_body_(
            R"({"id":"d0","url_domain":")" + target.domain +
            R"(","status":3,"min_ssl_version":"TLSv1.2","ssl_id":"0123456789abcdef0123456789abcdef","ssl_name":""})") {
  }

  Result<http::Response> send(const http::Request& request) override {
    http::Response response;
    response.headers.push_back({"Content-Type", "application/json"});
    if (request.method == "POST") {
      response.status = 201;
      response.body = bind_body_;
    } else {
      response.status = 200;
      response.body = group_body_;
    }
    return response;
  }

 private:
  std::string group_body_;
  std::string bind_body_;
};

struct Bench {
  const settings::Settings& config;
  const Clock& clock;
  engine::Reconciler reconciler;
  int binds = 0;
};

void pass(Bench& bench) {
  state::State state;
  engine::ReconcileOptions options;
  options.wait_for_cname = false;
  Result<engine::ReconcileReport> report = bench.reconciler.run(state, options);
  if (report && report->writes == 1) {
    ++bench.binds;
  }
}

// Not inlined, so that it shows in a profile as the measured part.
[[gnu::noinline]] void measured_passes(Bench& bench, int iterations) {
  for (int i = 0; i < iterations; ++i) {
    pass(bench);
  }
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bind-cost CONFIG [ITERATIONS]\n");
    return 2;
  }
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 10;
  const Environment environment = Environment::from_process();
  Result<settings::Settings> config = settings::load_settings(argv[1], environment);
  if (!config) {
    std::fprintf(stderr, "bind-cost: %s\n", config.error().to_string().c_str());
    return 78;
  }
  config->bindings.resize(1);
  config->bindings.front().targets.resize(1);
  const settings::TargetSettings& target = config->bindings.front().targets.front();
  const SystemClock clock;
  auth::AkSkAuthenticator authenticator(
      [] { return Result<Secret>(Secret("BENCHACCESSKEY000001")); },
      [] { return Result<Secret>(Secret("bench-secret-key-0123456789abcdef")); }, std::nullopt,
      config->apig.project_id, clock);
  const engine::ClientFactory clients = [&]() -> Result<apig::ClientHandle> {
    apig::ClientHandle handle;
    handle.transport = std::make_unique<CannedTransport>(target);
    handle.client = std::make_unique<apig::Client>(
        *handle.transport, authenticator,
        apig::ClientOptions{config->apig.endpoint, config->apig.project_id, config->apig.timeout});
    return handle;
  };
  Bench bench{*config, clock, engine::Reconciler(*config, clients, clock)};
  pass(bench);  // The warm-up.
  const auto started = std::chrono::steady_clock::now();
  measured_passes(bench, iterations);
  const auto took = std::chrono::steady_clock::now() - started;
  if (bench.binds != iterations + 1) {
    std::fprintf(stderr, "bind-cost: only %d of %d passes bound\n", bench.binds, iterations + 1);
    return 1;
  }
  std::printf(
      "%d binds, %.1f us per bind (wall)\n", iterations,
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()) /
          iterations);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bind-cost: %s\n", e.what());
    return 1;
  }
}
