// apig-certd's entry point: block the signals the event loop takes over, hold curl's global
// state for the life of the process, and hand the command line to the app layer.
//
// The signal mask comes first, before anything (spdlog, curl, OpenSSL) can start a thread, so
// every thread inherits it and signals arrive only through the loop's signalfd.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <pthread.h>

#include "daemon/app/main_command.h"
#include "daemon/http/curl_transport.h"
#include "daemon/sys/signal_fd.h"

int main(int argc, char** argv) {
  const sigset_t signals = apig_certd::sys::daemon_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const apig_certd::http::CurlGlobal curl_global;
  if (!curl_global.ok()) {
    std::fputs("apig-certd: fatal: curl_global_init failed\n", stderr);
    return EXIT_FAILURE;
  }
  try {
    return apig_certd::app::main_command(argc, argv);
  } catch (const std::exception& exception) {
    std::fprintf(stderr, "apig-certd: fatal: %s\n", exception.what());
    return EXIT_FAILURE;
  }
}
