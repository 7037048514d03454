#pragma once

// The TLS probe of `verify = true` (DESIGN.md §3): connect to a server the way a browser
// would reach the custom domain (SNI = the domain), finish the TLS handshake, and report the
// SHA-256 fingerprint of the leaf certificate it served. Nothing is sent after the handshake.
//
// The chain is deliberately not verified: the question is "which certificate does APIG
// serve", answered by comparing fingerprints, and a freshly bound certificate from a private
// CA (or a propagation still in progress) must give that answer, not a verification error.

#include <string>
#include <string_view>

#include "daemon/core/duration.h"
#include "daemon/core/result.h"

namespace apig_certd::probe {

struct ProbeRequest {
  std::string server_name;  // Sent as SNI: the target's domain. Not a wildcard.
  std::string host;         // Where to connect: an IP literal or a host name.
  int port = 443;
  Duration timeout = std::chrono::seconds(30);  // Bounds the connect and the handshake.
};

// "host:port", or "[v6]:port" for an IPv6 literal; for messages.
std::string address_label(std::string_view host, int port);

// Connects to request.host:port, sends a ClientHello with SNI request.server_name, and
// returns the lower-case hex SHA-256 of the DER of the leaf certificate the server sent.
//
// Errors (the message says which domain and address, and why):
//   Unavailable  the host name does not resolve, the connection is refused, unreachable or
//                cut, the handshake fails (e.g. the server has no certificate for the name),
//                or the server sent no certificate;
//   Timeout      the connect or the handshake did not finish within request.timeout.
// Name resolution (getaddrinfo) is not bounded by the timeout: it follows the resolver's own.
// Never raises SIGPIPE (sockets are written with MSG_NOSIGNAL).
Result<std::string> served_leaf_sha256(const ProbeRequest& request);

}  // namespace apig_certd::probe
