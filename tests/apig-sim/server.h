#pragma once

// HttpServer: httplib's server (plain or TLS) on a loopback address, feeding every request
// to a Simulator. The only file that includes httplib.h.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "daemon/core/result.h"
#include "tests/apig-sim/simulator.h"

namespace httplib {
class Server;
}

namespace apig_certd::sim {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port.
  // Both set: serve HTTPS with this certificate chain and key (PEM files).
  std::optional<std::filesystem::path> tls_certificate;
  std::optional<std::filesystem::path> tls_key;
  // Requests per keep-alive connection before the server closes it.
  std::size_t keep_alive_requests = 100;
};

class HttpServer {
 public:
  // Binds and starts serving on a background thread; returns once the server accepts
  // connections. `simulator` must outlive the server. Errors: InvalidArgument when the TLS
  // files cannot be loaded, Unavailable when the address cannot be bound or the server does
  // not start within 5 s.
  static Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options,
                                                   Simulator& simulator);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  int port() const { return port_; }
  bool tls() const { return tls_; }

  // Stops accepting, waits for in-flight requests (call Simulator::shutdown() first so held
  // requests let go) and joins the listener thread. Idempotent.
  void stop();

 private:
  HttpServer(std::unique_ptr<httplib::Server> server, int port, bool tls);

  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int port_;
  bool tls_;
};

}  // namespace apig_certd::sim
