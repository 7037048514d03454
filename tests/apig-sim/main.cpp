// apig-sim: a Huawei Cloud APIG (dedicated gateway, v2) simulator for the certificate-binding
// API family, for tests. README.md describes the seed file, the endpoints and the admin API.
//
// Start-up: block SIGTERM and SIGINT before any thread exists (every thread inherits the
// mask, so sigwait below is the only taker), ignore SIGPIPE (a client that vanishes must not
// kill the server: httplib 0.11 sends without MSG_NOSIGNAL), load the seed, bind, then print
// exactly one line to stdout, "apig-sim listening on http[s]://127.0.0.1:PORT", flushed, and
// write PORT to --port-file (atomically, via rename). With --tls-port, the TLS listener
// (tls_listener.h) starts first and its line, "apig-sim serving bound certificates on
// 127.0.0.1:PORT", comes before that one, so a reader that waits for the listening line has
// both. Then wait for a signal, let held requests go, stop the servers and exit 0.
//
// Exit codes: 0 after SIGTERM/SIGINT, 64 bad usage, 78 invalid seed, 1 cannot serve.

#include <csignal>
#include <cstdio>
#include <fstream>
#include <span>

#include "tests/apig-sim/command_line.h"
#include "tests/apig-sim/seed.h"
#include "tests/apig-sim/server.h"
#include "tests/apig-sim/simulator.h"
#include "tests/apig-sim/tls_listener.h"

namespace {

using namespace apig_certd;  // NOLINT(google-build-using-namespace): main only.

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

bool write_port_file(const std::filesystem::path& path, int port) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << port << '\n';
    if (!file.flush()) {
      return false;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  return !error;
}

int serve(const sim::CommandLine& command_line, const sigset_t& signals) {
  const SystemClock clock;
  auto seed = sim::load_seed(command_line.seed, clock.now());
  if (!seed) {
    std::fprintf(stderr, "apig-sim: %s\n", seed.error().to_string().c_str());
    return kExitConfig;
  }
  sim::Simulator simulator(std::move(*seed), clock);
  const sim::ServerOptions options{command_line.host, command_line.port,
                                   command_line.tls_certificate, command_line.tls_key,
                                   static_cast<std::size_t>(command_line.keep_alive_requests)};
  auto server = sim::HttpServer::start(options, simulator);
  if (!server) {
    std::fprintf(stderr, "apig-sim: %s\n", server.error().to_string().c_str());
    return EXIT_FAILURE;
  }
  std::unique_ptr<sim::TlsListener> tls_listener;
  if (command_line.tls_port) {
    auto listener = sim::TlsListener::start(command_line.host, *command_line.tls_port, simulator);
    if (!listener) {
      std::fprintf(stderr, "apig-sim: %s\n", listener.error().to_string().c_str());
      return EXIT_FAILURE;
    }
    tls_listener = std::move(*listener);
    std::printf("apig-sim serving bound certificates on %s:%d\n", command_line.host.c_str(),
                tls_listener->port());
  }
  const int port = (*server)->port();
  std::printf("apig-sim listening on %s://%s:%d\n", (*server)->tls() ? "https" : "http",
              command_line.host.c_str(), port);
  std::fflush(stdout);
  if (command_line.port_file && !write_port_file(*command_line.port_file, port)) {
    std::fprintf(stderr, "apig-sim: cannot write the port file '%s'\n",
                 command_line.port_file->c_str());
    return EXIT_FAILURE;
  }
  int received = 0;
  sigwait(&signals, &received);
  simulator.shutdown();
  if (tls_listener) {
    tls_listener->stop();
  }
  (*server)->stop();
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const std::span<const char* const> arguments(argv + 1, static_cast<std::size_t>(argc - 1));
  auto command_line = sim::parse_command_line(arguments);
  if (!command_line) {
    std::fprintf(stderr, "apig-sim: %s\n%s", command_line.error().to_string().c_str(),
                 sim::usage());
    return kExitUsage;
  }
  if (command_line->help) {
    std::fputs(sim::usage(), stdout);
    return EXIT_SUCCESS;
  }
  try {
    return serve(*command_line, signals);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "apig-sim: fatal: %s\n", error.what());
    return EXIT_FAILURE;
  }
}
