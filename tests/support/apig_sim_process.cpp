// SimProcess: apig-sim as a background child of the test.

#include "tests/support/apig_sim_process.h"

#include <gtest/gtest.h>

namespace apig_certd::testing {

namespace {

constexpr std::string_view kListening = "apig-sim listening on ";
// Printed before the listening line when the TLS listener runs.
constexpr std::string_view kTlsServing = "apig-sim serving bound certificates on ";

std::vector<std::string> arguments_for(const SimOptions& options) {
  std::vector<std::string> arguments = {options.binary.string(), "--seed", options.seed.string()};
  if (options.tls_certificate && options.tls_key) {
    arguments.insert(arguments.end(), {"--tls-cert", options.tls_certificate->string(), "--tls-key",
                                       options.tls_key->string()});
  }
  if (options.tls_port) {
    arguments.insert(arguments.end(), {"--tls-port", std::to_string(*options.tls_port)});
  }
  arguments.insert(arguments.end(), options.extra_arguments.begin(), options.extra_arguments.end());
  return arguments;
}

}  // namespace

std::unique_ptr<SimProcess> SimProcess::start(const SimOptions& options) {
  std::unique_ptr<BackgroundProcess> process = BackgroundProcess::start(arguments_for(options));
  if (!process) {
    return nullptr;
  }
  if (!process->wait_for_stdout(kListening, options.start_timeout) ||
      process->stdout_text().find('\n', process->stdout_text().find(kListening)) ==
          std::string::npos) {
    // The line may be incomplete for a moment; one short extra wait for its newline.
    process->wait_for_stdout("\n", std::chrono::milliseconds(1'000));
  }
  const std::string text = process->stdout_text();
  const std::size_t start = text.find(kListening);
  const std::size_t end = start == std::string::npos ? start : text.find('\n', start);
  if (end == std::string::npos) {
    process->stop(std::chrono::milliseconds(2'000));
    ADD_FAILURE() << "apig-sim did not report listening; stdout:\n"
                  << process->stdout_text() << "\nstderr:\n"
                  << process->stderr_text();
    return nullptr;
  }
  std::unique_ptr<SimProcess> sim(new SimProcess(std::move(process)));
  sim->url_ = text.substr(start + kListening.size(), end - start - kListening.size());
  sim->port_ = std::stoi(sim->url_.substr(sim->url_.rfind(':') + 1));
  if (const std::size_t tls = text.find(kTlsServing); tls != std::string::npos) {
    const std::size_t tls_end = text.find('\n', tls);
    const std::string address = text.substr(tls, tls_end - tls);
    sim->tls_port_ = std::stoi(address.substr(address.rfind(':') + 1));
  }
  return sim;
}

}  // namespace apig_certd::testing
