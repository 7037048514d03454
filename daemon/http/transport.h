#pragma once

// The HTTP seam: a request goes in, a response (any status) or a transport error comes out.
// The APIG and IAM clients are written against Transport; tests can put a fake behind it,
// and production uses CurlTransport.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/duration.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  std::string url;  // scheme://host[:port]/path[?query]
  std::vector<Header> headers;
  // The body may carry a private key (the bind call), so it is a Secret: wiped when the
  // request goes away and never printed.
  Secret body;
  // Total time for this request; zero means the transport's default.
  Duration timeout = Duration::zero();
};

struct Response {
  long status = 0;
  std::vector<Header> headers;  // As received, in order.
  std::string body;

  // The first header with this name (case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  Transport(Transport&&) = delete;
  Transport& operator=(Transport&&) = delete;

  // Sends the request and waits for the whole response. Any HTTP status is a Response; an
  // Error means no (complete) response arrived. Error codes:
  //   Timeout         connect or total timeout passed; the request may have been processed.
  //   Unavailable     connection refused or reset, DNS failure, TLS handshake cut: retry.
  //   PermissionDenied  TLS verification failed (untrusted certificate, wrong host name).
  //   InvalidArgument the URL or scheme is not allowed (http:// to a non-loopback host...).
  //   ParseError      the response was larger than the configured cap.
  // Messages carry the curl code and text and the URL without its query string.
  virtual Result<Response> send(const Request& request) = 0;
};

// "https://host/path" without "?query", for messages: queries may carry signatures.
std::string redact_url(std::string_view url);

}  // namespace apig_certd::http
