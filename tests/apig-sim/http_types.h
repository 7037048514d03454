#pragma once

// The simulator's view of an HTTP exchange, free of httplib: server.cpp converts httplib's
// request into an HttpRequest and writes the HttpResponse back, so everything behind it
// (routing, auth, validation, faults, the request log) is plain code over plain values.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/auth/aksk_signer.h"

namespace apig_certd::sim {

using Header = auth::Header;

struct HttpRequest {
  std::string method;     // "GET", "POST", ...
  std::string path;       // Percent-decoded path, used for routing.
  std::string raw_path;   // The path exactly as sent, for signature verification.
  std::string raw_query;  // The query exactly as sent, without '?'.
  std::vector<std::pair<std::string, std::string>> query;  // Decoded query parameters.
  std::vector<Header> headers;                             // As received, in order.
  std::string body;
  std::string remote_addr;  // The peer's IP address as text.

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  // The first query parameter with this name, or nullopt.
  std::optional<std::string> query_value(std::string_view name) const;
};

// What the server does with the connection after the handler returns.
enum class Disposition {
  Respond,  // Send the response.
  Reset,    // Close the connection without a response (TCP RST).
};

struct HttpResponse {
  int status = 200;
  std::vector<Header> headers;  // Besides Content-Type.
  std::string body;
  std::string content_type = "application/json";
  Disposition disposition = Disposition::Respond;

  void set_header(std::string name, std::string value);
};

// An APIG-style failure: HTTP status, error_code and error_msg.
struct ApigError {
  int status = 400;
  std::string code;     // e.g. "APIG.2101" or "APIGW.0301".
  std::string message;  // error_msg; never contains a secret.
};

// `{"error_code","error_msg","request_id"}` with `error.status`.
HttpResponse error_response(const ApigError& error, std::string_view request_id);

// True for "127.0.0.0/8" and "::1" addresses (and IPv4-mapped loopback).
bool is_loopback_address(std::string_view address);

}  // namespace apig_certd::sim
