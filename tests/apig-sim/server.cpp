// The httplib adapter: converts requests and responses, and implements the "reset" fault.
//
// Every method is routed to one catch-all handler, because httplib's pre-routing hook runs
// before the body is read, and the simulator needs the body (to verify signatures and to log).
// Requests are converted with the raw path and query taken from the request target, since
// httplib decodes req.path and AK/SK signatures are computed over the encoded form. httplib's
// synthetic REMOTE_ADDR/REMOTE_PORT/LOCAL_ADDR/LOCAL_PORT "headers" are dropped.
//
// Resetting a connection: httplib 0.11 gives a handler no handle on its socket. For TLS the
// request carries the SSL object, whose fd is the socket; for plain HTTP the socket is found
// by scanning /proc/self/fd for the TCP socket whose peer is the request's remote address
// and port. The reset itself sets SO_LINGER to zero and then atomically replaces the socket's
// descriptor with /dev/null (dup3): the socket's last reference goes away, so the kernel
// sends an RST, while the descriptor number stays valid for httplib, whose late write fails
// or vanishes and whose close() closes /dev/null. Closing the fd outright would let httplib
// close a number that another thread may have reused meanwhile.

#include "tests/apig-sim/server.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace apig_certd::sim {

namespace {

constexpr std::array<std::string_view, 4> kSyntheticHeaders = {"REMOTE_ADDR", "REMOTE_PORT",
                                                               "LOCAL_ADDR", "LOCAL_PORT"};
constexpr std::size_t kWorkerThreads = 32;

HttpRequest to_request(const httplib::Request& incoming) {
  HttpRequest request;
  request.method = incoming.method;
  request.path = incoming.path;
  const std::size_t question = incoming.target.find('?');
  request.raw_path = incoming.target.substr(0, question);
  request.raw_query = question == std::string::npos ? "" : incoming.target.substr(question + 1);
  for (const auto& [key, value] : incoming.params) {
    request.query.emplace_back(key, value);
  }
  for (const auto& [name, value] : incoming.headers) {
    if (std::find(kSyntheticHeaders.begin(), kSyntheticHeaders.end(), name) ==
        kSyntheticHeaders.end()) {
      request.headers.push_back({name, value});
    }
  }
  request.body = incoming.body;
  request.remote_addr = incoming.remote_addr;
  return request;
}

// The address and port of a socket's peer (`peer`) or local end, or nullopt for non-TCP fds.
std::optional<std::pair<std::string, int>> endpoint(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  auto* generic = reinterpret_cast<sockaddr*>(&address);  // NOLINT(*-reinterpret-cast)
  if ((peer ? ::getpeername(fd, generic, &length) : ::getsockname(fd, generic, &length)) != 0) {
    return std::nullopt;
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto* ipv4 =
        reinterpret_cast<const sockaddr_in*>(&address);  // NOLINT(*-reinterpret-cast)
    ::inet_ntop(AF_INET, &ipv4->sin_addr, text.data(), text.size());
    return std::pair<std::string, int>(text.data(), ntohs(ipv4->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* ipv6 =
        reinterpret_cast<const sockaddr_in6*>(&address);  // NOLINT(*-reinterpret-cast)
    ::inet_ntop(AF_INET6, &ipv6->sin6_addr, text.data(), text.size());
    return std::pair<std::string, int>(text.data(), ntohs(ipv6->sin6_port));
  }
  return std::nullopt;
}

std::optional<int> connection_fd(const httplib::Request& request, int server_port) {
  if (request.ssl != nullptr) {
    const int fd = SSL_get_fd(request.ssl);
    return fd >= 0 ? std::optional<int>(fd) : std::nullopt;
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) {
      continue;
    }
    const auto peer = endpoint(fd, /*peer=*/true);
    const auto local = endpoint(fd, /*peer=*/false);
    if (peer && local && peer->first == request.remote_addr &&
        peer->second == request.remote_port && local->second == server_port) {
      return fd;
    }
  }
  return std::nullopt;
}

void reset_connection(const httplib::Request& request, int server_port) {
  const auto fd = connection_fd(request, server_port);
  if (!fd) {
    std::fprintf(stderr, "apig-sim: cannot find the connection to reset, closing instead\n");
    return;
  }
  const linger abortive{1, 0};
  ::setsockopt(*fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    ::shutdown(*fd, SHUT_RDWR);
    return;
  }
  ::dup3(null_fd, *fd, O_CLOEXEC);
  ::close(null_fd);
}

void write_response(const HttpResponse& response, httplib::Response& outgoing) {
  outgoing.status = response.status;
  for (const Header& header : response.headers) {
    outgoing.set_header(header.name, header.value);
  }
  if (!response.content_type.empty()) {
    outgoing.set_content(response.body, response.content_type);
  }
}

void install_handlers(httplib::Server& server, Simulator& simulator, const int& port) {
  const httplib::Server::Handler handler = [&simulator, &port](const httplib::Request& incoming,
                                                               httplib::Response& outgoing) {
    const HttpResponse response = simulator.handle(to_request(incoming));
    if (response.disposition == Disposition::Reset) {
      reset_connection(incoming, port);
      outgoing.set_header("Connection", "close");
      return;
    }
    write_response(response, outgoing);
  };
  const std::string any = ".*";
  server.Get(any, handler).Post(any, handler).Put(any, handler).Delete(any, handler);
  server.Patch(any, handler).Options(any, handler);
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& outgoing, std::exception_ptr) {
        outgoing.status = 500;
        outgoing.set_content(R"({"error_code":"APIG.9999","error_msg":"System error"})",
                             "application/json");
      });
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<httplib::Server> server, int port, bool tls)
    : server_(std::move(server)), port_(port), tls_(tls) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options,
                                                      Simulator& simulator) {
  const bool tls = options.tls_certificate && options.tls_key;
  std::unique_ptr<httplib::Server> server;
  if (tls) {
    server = std::make_unique<httplib::SSLServer>(options.tls_certificate->c_str(),
                                                  options.tls_key->c_str());
  } else {
    server = std::make_unique<httplib::Server>();
  }
  if (!server->is_valid()) {
    return fail(ErrorCode::InvalidArgument, "cannot load the TLS certificate or key");
  }
  // httplib owns the queue it is given; the factory's raw pointer is its API.
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };  // NOLINT
  // httplib closes a keep-alive connection after 5 requests; a gateway in front of APIG
  // (nginx: keepalive_requests 100, 1000 since 1.19.10) serves many more. With 5, a client
  // pays a new TLS handshake every 5 requests, which the benchmarks would charge to
  // apig-certd (a 1,000-target sync made some 250 connections instead of 16). Default 100.
  server->set_keep_alive_max_count(options.keep_alive_requests);
  // httplib writes a response's headers and body separately and leaves Nagle's algorithm on:
  // on a kept-alive connection the body then waited for the client's delayed ACK, 40 ms a
  // response (measured: 44 ms for each request after a connection's first, 1.5 ms for the
  // first). Web servers and load balancers set TCP_NODELAY; without it every benchmark
  // figure carried 40 ms a request that was the simulator's, not apig-certd's.
  server->set_tcp_nodelay(true);
  // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into Debian's
  // library). More connections arriving at once than that (a daemon opens `concurrency` of
  // them at its start) made the kernel drop SYNs, and the client sent them again after 1 s:
  // about one benchmark start in eight had a 1 s "remote read". The listening socket is
  // remembered here and its backlog raised after the bind (listen(2) on a listening socket
  // updates the backlog).
  auto listening = std::make_shared<int>(-1);
  server->set_socket_options([listening](socket_t socket) {
    httplib::default_socket_options(socket);
    *listening = socket;
  });
  std::unique_ptr<HttpServer> running(new HttpServer(std::move(server), 0, tls));
  install_handlers(*running->server_, simulator, running->port_);
  const int port = options.port == 0 ? running->server_->bind_to_any_port(options.host)
                   : running->server_->bind_to_port(options.host, options.port) ? options.port
                                                                                : -1;
  if (port <= 0) {
    return fail(ErrorCode::Unavailable,
                "cannot bind " + options.host + ":" + std::to_string(options.port));
  }
  running->port_ = port;
  if (*listening < 0 || ::listen(*listening, SOMAXCONN) != 0) {
    return fail(ErrorCode::Unavailable,
                "cannot raise the listen backlog of " + options.host + ":" + std::to_string(port));
  }
  httplib::Server* raw = running->server_.get();
  running->listener_ = std::thread([raw] { raw->listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!raw->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Unavailable, "the HTTP server did not start within 5 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return running;
}

void HttpServer::stop() {
  if (server_) {
    server_->stop();
  }
  if (listener_.joinable()) {
    listener_.join();
  }
}

}  // namespace apig_certd::sim
