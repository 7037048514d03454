#pragma once

// TlsListener: the simulator's stand-in for the custom domains' HTTPS front (--tls-port). It
// accepts TCP connections on a loopback port, completes a TLS handshake serving, by SNI, the
// certificate and key currently bound to that domain in the simulator (Simulator::
// served_certificate: bound, or frozen by /__admin/config "tls_frozen"), and closes. No HTTP
// is spoken: the daemon's post-bind probe (`verify = true`) only looks at the handshake.
//
// A name with nothing to serve (unknown domain, nothing bound, no SNI) fails the handshake
// with an unrecognized_name alert.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"
#include "tests/apig-sim/simulator.h"

namespace apig_certd::sim {

class TlsListener {
 public:
  // Binds host:port (0: any free port) and starts serving on a thread of its own.
  // `simulator` must outlive the listener. Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<TlsListener>> start(const std::string& host, int port,
                                                    Simulator& simulator);
  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;
  TlsListener(TlsListener&&) = delete;
  TlsListener& operator=(TlsListener&&) = delete;

  int port() const { return port_; }

  // Stops accepting and joins the thread (a handshake in progress ends within its 5 s
  // timeout). Idempotent.
  void stop();

 private:
  TlsListener(sys::UniqueFd socket, int port, Simulator& simulator);
  void serve();

  sys::UniqueFd socket_;
  int port_;
  Simulator& simulator_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace apig_certd::sim
