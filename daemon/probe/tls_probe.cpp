// The TLS probe: one non-blocking TCP connection and one client handshake, under a deadline.
//
// OpenSSL never touches the socket. The SSL object talks to two memory BIOs and this file
// moves the bytes: recv() into the read BIO, the write BIO out with send(MSG_NOSIGNAL). That
// is what lets every wait be a poll() against one deadline, and it keeps a server that
// resets the connection mid-handshake from raising SIGPIPE in the daemon (OpenSSL's socket
// BIO writes with write(2), and the daemon does not ignore SIGPIPE).
//
// Every address getaddrinfo() returns is tried in order until one connects, as a browser
// would; the last failure is the one reported. Certificate verification is off on purpose
// (tls_probe.h): the served leaf is only fingerprinted.

#include "daemon/probe/tls_probe.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "daemon/cert/openssl_error.h"
#include "daemon/core/fn_deleter.h"
#include "daemon/core/hex.h"
#include "daemon/crypto/digest.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::probe {

namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, FnDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, FnDeleter<SSL_free>>;
using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free>>;
using AddrInfoPtr = std::unique_ptr<addrinfo, FnDeleter<freeaddrinfo>>;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kBufferSize = std::size_t{16} * 1024;

// Waits until `fd` is ready for `events` or the deadline passes. Timeout when it passed,
// Unavailable when poll itself fails.
Result<void> wait_for(const sys::UniqueFd& fd, short events, SteadyTime deadline,
                      std::string_view what) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return fail(ErrorCode::Timeout, "no answer while " + std::string(what));
    }
    pollfd entry{fd.get(), events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) {
      return {};
    }
    if (ready < 0 && errno != EINTR) {
      return fail(Error::from_errno("poll", errno));
    }
  }
}

// One non-blocking connect to `address`, bounded by the deadline.
Result<sys::UniqueFd> connect_to(const addrinfo& address, SteadyTime deadline) {
  sys::UniqueFd fd(::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            address.ai_protocol));
  if (!fd) {
    return fail(Error::from_errno("socket", errno));
  }
  if (::connect(fd.get(), address.ai_addr, address.ai_addrlen) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) {
    return fail(Error::from_errno("connect", errno));
  }
  if (Result<void> ready = wait_for(fd, POLLOUT, deadline, "connecting"); !ready) {
    return fail(std::move(ready.error()));
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    return fail(Error::from_errno("getsockopt(SO_ERROR)", errno));
  }
  if (error != 0) {
    return fail(Error::from_errno("connect", error));
  }
  return fd;
}

Result<sys::UniqueFd> connect_any(const ProbeRequest& request, SteadyTime deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(request.port);
  const int resolved = ::getaddrinfo(request.host.c_str(), port.c_str(), &hints, &found);
  const AddrInfoPtr addresses(found);
  if (resolved != 0) {
    return fail(ErrorCode::Unavailable,
                "cannot resolve '" + request.host + "': " + std::string(::gai_strerror(resolved)));
  }
  std::optional<Error> last;
  for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    Result<sys::UniqueFd> connected = connect_to(*address, deadline);
    if (connected) {
      return connected;
    }
    last = std::move(connected.error());
    if (last->code() == ErrorCode::Timeout) {
      break;  // The deadline is gone for the other addresses too.
    }
  }
  if (!last) {
    return fail(ErrorCode::Unavailable, "'" + request.host + "' has no address");
  }
  return fail(std::move(*last));
}

// Sends everything OpenSSL has queued in the write BIO.
Result<void> flush(BIO& out, const sys::UniqueFd& fd, SteadyTime deadline) {
  std::array<char, kBufferSize> buffer{};
  while (BIO_ctrl_pending(&out) > 0) {
    const int length = BIO_read(&out, buffer.data(), static_cast<int>(buffer.size()));
    if (length <= 0) {
      return {};
    }
    std::size_t sent = 0;
    while (sent < static_cast<std::size_t>(length)) {
      const ssize_t n = ::send(fd.get(), buffer.data() + sent,
                               static_cast<std::size_t>(length) - sent, MSG_NOSIGNAL);
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (Result<void> ready = wait_for(fd, POLLOUT, deadline, "sending the TLS handshake");
            !ready) {
          return ready;
        }
        continue;
      }
      if (errno != EINTR) {
        return fail(Error::from_errno("send", errno));
      }
    }
  }
  return {};
}

// Reads what the server sent into the read BIO (waits for it first).
Result<void> receive(BIO& in, const sys::UniqueFd& fd, SteadyTime deadline) {
  if (Result<void> ready = wait_for(fd, POLLIN, deadline, "waiting for the TLS handshake");
      !ready) {
    return ready;
  }
  std::array<char, kBufferSize> buffer{};
  const ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
  if (n == 0) {
    return fail(ErrorCode::Unavailable,
                "the server closed the connection during the TLS handshake");
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return {};
    }
    return fail(Error::from_errno("recv", errno));
  }
  if (BIO_write(&in, buffer.data(), static_cast<int>(n)) != static_cast<int>(n)) {
    return fail(cert::openssl_error(ErrorCode::Internal, "buffering the server's reply"));
  }
  return {};
}

// The same digest as cert::Bundle::sha256() (X509_digest over the DER), so the two compare.
Result<std::string> leaf_sha256(const SSL& ssl) {
  X509* leaf = SSL_get0_peer_certificate(&ssl);
  if (leaf == nullptr) {
    return fail(ErrorCode::Unavailable, "the server sent no certificate");
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(leaf, EVP_sha256(), digest.data(), &length) != 1) {
    return fail(cert::openssl_error(ErrorCode::Internal, "fingerprinting the served certificate"));
  }
  return hex_lower(std::span<const unsigned char>(digest.data(), length));
}

Result<std::string> handshake(const ProbeRequest& request, const sys::UniqueFd& fd,
                              SteadyTime deadline) {
  cert::clear_openssl_errors();
  const SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context) {
    return fail(cert::openssl_error(ErrorCode::Internal, "SSL_CTX_new"));
  }
  // Fingerprints are compared instead (tls_probe.h), so no chain verification.
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
  const SslPtr ssl(SSL_new(context.get()));
  BioPtr in(BIO_new(BIO_s_mem()));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!ssl || !in || !out) {
    return fail(cert::openssl_error(ErrorCode::Internal, "SSL_new"));
  }
  // An empty read BIO means "more to come" (WANT_READ), not end of stream.
  BIO_set_mem_eof_return(in.get(), -1);
  BIO& in_bio = *in;
  BIO& out_bio = *out;
  SSL_set_bio(ssl.get(), in.release(), out.release());  // The SSL owns both from here.
  // SSL_set_tlsext_host_name() spelled out: the macro casts away const C-style. OpenSSL
  // copies the name and never writes through the pointer.
  if (SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): see above.
               const_cast<char*>(request.server_name.c_str())) != 1) {
    return fail(cert::openssl_error(ErrorCode::Internal, "setting SNI"));
  }
  SSL_set_connect_state(ssl.get());
  while (true) {
    const int done = SSL_do_handshake(ssl.get());
    const int error = done == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl.get(), done);
    if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      return fail(cert::openssl_error(ErrorCode::Unavailable, "TLS handshake failed"));
    }
    if (Result<void> sent = flush(out_bio, fd, deadline); !sent) {
      return fail(std::move(sent.error()));
    }
    if (done == 1) {
      break;
    }
    if (error == SSL_ERROR_WANT_READ) {
      if (Result<void> received = receive(in_bio, fd, deadline); !received) {
        return fail(std::move(received.error()));
      }
    }
  }
  Result<std::string> fingerprint = leaf_sha256(*ssl);
  // A polite close_notify; whether it arrives does not matter.
  SSL_shutdown(ssl.get());
  static_cast<void>(flush(out_bio, fd, deadline));
  cert::clear_openssl_errors();
  return fingerprint;
}

}  // namespace

std::string address_label(std::string_view host, int port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

Result<std::string> served_leaf_sha256(const ProbeRequest& request) {
  const SteadyTime deadline = std::chrono::steady_clock::now() + request.timeout;
  const std::string context =
      "probing '" + request.server_name + "' at " + address_label(request.host, request.port);
  Result<sys::UniqueFd> fd = connect_any(request, deadline);
  if (!fd) {
    return fail(std::move(fd.error()).with_context(context));
  }
  Result<std::string> fingerprint = handshake(request, *fd, deadline);
  if (!fingerprint) {
    return fail(std::move(fingerprint.error()).with_context(context));
  }
  return fingerprint;
}

}  // namespace apig_certd::probe
