// The TLS listener: one accept loop, one handshake at a time, the certificate chosen by SNI.
//
// The certificate is picked in OpenSSL's servername callback, which runs while the
// ClientHello is processed and before the server chooses its certificate, so setting the
// certificate, key and chain on that one SSL object (SSL_use_cert_and_key) is enough; the
// SSL_CTX holds no certificate at all, and a name with nothing bound fails the handshake
// with unrecognized_name. The PEM is parsed afresh for each handshake: what is bound can
// change between two connections, and parsing a few kilobytes is cheap next to the
// handshake.
//
// Handshakes run one after the other on the listener's thread, each bounded by socket
// timeouts, which is plenty for tests; the loop polls its socket every 100 ms so stop() is
// prompt. SIGPIPE is ignored process-wide by main(), so a client that vanishes mid-handshake
// only fails that handshake. One line per handshake goes to stderr (the name and whether a
// certificate was served); keys are never printed.

#include "tests/apig-sim/tls_listener.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "daemon/core/fn_deleter.h"
#include "tests/apig-sim/openssl_handles.h"

namespace apig_certd::sim {

namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, FnDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, FnDeleter<SSL_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FnDeleter<EVP_PKEY_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

constexpr int kPollMilliseconds = 100;
constexpr time_t kHandshakeTimeoutSeconds = 5;

// Keys in the model are never encrypted (uploads with encrypted keys are refused), so a
// password prompt must never happen: this callback refuses to supply one.
int no_password(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return 0;
}

// Sets the bound certificate for the SNI name on `ssl`; false when there is none.
bool use_served_certificate(SSL* ssl, const ServedCertificate& served) {
  const BioPtr certificates = memory_bio(served.certificate_pem);
  const BioPtr key_bio = memory_bio(served.private_key_pem.view());
  if (!certificates || !key_bio) {
    return false;
  }
  const X509Ptr leaf(PEM_read_bio_X509(certificates.get(), nullptr, no_password, nullptr));
  const EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
  const X509StackPtr chain(sk_X509_new_null());
  if (!leaf || !key || !chain) {
    return false;
  }
  while (X509Ptr next{PEM_read_bio_X509(certificates.get(), nullptr, no_password, nullptr)}) {
    if (sk_X509_push(chain.get(), next.get()) <= 0) {
      return false;
    }
    static_cast<void>(next.release());  // The stack owns it now.
  }
  ERR_clear_error();  // The "no start line" that ended the scan.
  // Takes its own references to all three.
  return SSL_use_cert_and_key(ssl, leaf.get(), key.get(), chain.get(), 1) == 1;
}

int select_certificate(SSL* ssl, int* alert, void* argument) {
  auto* simulator = static_cast<Simulator*>(argument);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::optional<ServedCertificate> served =
      name == nullptr ? std::nullopt : simulator->served_certificate(name);
  if (!served || !use_served_certificate(ssl, *served)) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

void set_timeouts(const sys::UniqueFd& fd) {
  const timeval timeout{kHandshakeTimeoutSeconds, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

}  // namespace

Result<std::unique_ptr<TlsListener>> TlsListener::start(const std::string& host, int port,
                                                        Simulator& simulator) {
  sys::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return fail(Error::from_errno("socket", errno));
  }
  const int yes = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return fail(ErrorCode::InvalidArgument, "--tls-port: '" + host + "' is not an IPv4 address");
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return fail(Error(ErrorCode::Unavailable, "binding the TLS listener to " + host + ":" +
                                                  std::to_string(port) + ": " + errno_text(errno)));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    return fail(Error::from_errno("listen", errno));
  }
  socklen_t length = sizeof(address);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return fail(Error::from_errno("getsockname", errno));
  }
  std::unique_ptr<TlsListener> listener(
      new TlsListener(std::move(fd), ntohs(address.sin_port), simulator));
  listener->thread_ = std::thread([raw = listener.get()] { raw->serve(); });
  return listener;
}

TlsListener::TlsListener(sys::UniqueFd socket, int port, Simulator& simulator)
    : socket_(std::move(socket)), port_(port), simulator_(simulator) {}

TlsListener::~TlsListener() {
  stop();
}

void TlsListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

void TlsListener::serve() {
  const SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  if (!context) {
    std::fprintf(stderr, "apig-sim: the TLS listener cannot create an SSL_CTX\n");
    return;
  }
  // SSL_CTX_set_tlsext_servername_callback() spelled out (the macro casts C-style); OpenSSL
  // calls it back with its real type.
  SSL_CTX_callback_ctrl(context.get(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): as above.
                        reinterpret_cast<void (*)()>(&select_certificate));
  SSL_CTX_set_tlsext_servername_arg(context.get(), &simulator_);
  while (!stopping_) {
    pollfd entry{socket_.get(), POLLIN, 0};
    if (::poll(&entry, 1, kPollMilliseconds) <= 0) {
      continue;
    }
    const sys::UniqueFd client(::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
      continue;
    }
    set_timeouts(client);
    const SslPtr ssl(SSL_new(context.get()));
    if (!ssl || SSL_set_fd(ssl.get(), client.get()) != 1) {
      ERR_clear_error();
      continue;
    }
    const bool served = SSL_accept(ssl.get()) == 1;
    const char* name = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    std::fprintf(stderr, "apig-sim: TLS handshake for '%s' -> %s\n",
                 name == nullptr ? "(no SNI)" : name, served ? "served" : "failed");
    if (served) {
      SSL_shutdown(ssl.get());
    }
    ERR_clear_error();
  }
}

}  // namespace apig_certd::sim
