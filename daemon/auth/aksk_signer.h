#pragma once

// AK/SK request signing for Huawei Cloud APIs (SDK-HMAC-SHA256, REFERENCE.md §7), and the
// matching verifier for the APIG simulator.
//
// Both are pure: no clock, no I/O. The caller supplies the X-Sdk-Date (format_sdk_date()
// turns a clock reading into one) and, for verification, the current time.

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::auth {

// The algorithm name that starts the string to sign and the Authorization header.
inline constexpr std::string_view kSigningAlgorithm = "SDK-HMAC-SHA256";
// How far X-Sdk-Date may be from the server's clock, either way, and still be accepted.
inline constexpr std::chrono::minutes kMaxClockSkew{15};

// One HTTP header as sent or received. Names compare case-insensitively.
struct Header {
  std::string name;
  std::string value;

  friend bool operator==(const Header&, const Header&) = default;
};

// What a request is signed with.
struct Credentials {
  std::string access_key;  // AK; not secret, it appears in the Authorization header.
  Secret secret_key;       // SK; the HMAC key, never sent.
  // Only for temporary AK/SK (STS): sent and signed as X-Security-Token.
  std::optional<Secret> security_token;
};

// A request to sign. Borrowed views: everything must outlive the call to sign().
struct RequestToSign {
  std::string_view method;  // e.g. "POST"; upper-cased for signing.
  // "scheme://host[:port]/path?query", exactly as it will be sent. The scheme is http or
  // https; path and query are already percent-encoded (only RFC 3986 URI characters are
  // accepted, so nothing can be re-escaped between signing and sending); no user info, no
  // fragment.
  std::string_view url;
  // The caller's own headers, e.g. Content-Type. Each is sent and signed, except that names
  // containing '_' are sent but not signed (as the Go SDK does: gateways built on nginx drop
  // such headers, which would break the signature). Host, X-Sdk-Date, X-Project-Id,
  // X-Security-Token and Authorization are ours and may not appear here. An
  // X-Sdk-Content-Sha256 header replaces the body hash with its value (REFERENCE.md §7).
  std::span<const Header> headers;
  std::string_view body;        // The exact bytes that will be sent; empty for none.
  std::string_view sdk_date;    // X-Sdk-Date, "YYYYMMDDTHHMMSSZ" (UTC).
  std::string_view project_id;  // Adds a signed X-Project-Id header unless empty.
};

// The outcome of sign(). The first three members are for tests and debugging.
struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "content-type;host;x-sdk-date", lower case, sorted.
  std::string authorization;   // The Authorization header value.
  // Every header to send, in this order: Host, X-Sdk-Date, X-Project-Id (if a project id
  // was given), X-Security-Token (for temporary credentials), the caller's headers in their
  // order (values trimmed of spaces and tabs, which is how they were signed), Authorization.
  // Send exactly these; curl's own Host must be replaced, not duplicated. Note that
  // X-Security-Token carries the security token in the clear, as it must be sent.
  std::vector<Header> headers;
};

// Signs a request with SDK-HMAC-SHA256.
//
// Host is the URL's host, lower-cased, with ":port" only when the port is not the scheme's
// default (443 for https, 80 for http). The canonical URI gets a trailing '/' that is only in
// the signed form (the URL is sent unchanged).
//
// Errors: InvalidArgument when the URL, method, date, a header name or value, or the
// credentials are unusable (empty AK or SK, a reserved or duplicate header name, a CR or LF
// in a value, ...). Messages name the offending part but never contain the secret key,
// the security token or header values.
Result<SignedRequest> sign(const RequestToSign& request, const Credentials& credentials);

// Formats a wall-clock time as X-Sdk-Date: UTC "YYYYMMDDTHHMMSSZ", truncated to the second.
// Precondition: the year is between 0 and 9999.
std::string format_sdk_date(SystemTime time);

// Parses an X-Sdk-Date value ("YYYYMMDDTHHMMSSZ", UTC). ParseError when the text has another
// shape or names a date or time that does not exist.
Result<SystemTime> parse_sdk_date(std::string_view text);

// A request as received by a server, for verify(). Borrowed views.
struct ReceivedRequest {
  std::string_view method;
  std::string_view path;            // The raw path of the request target, still percent-encoded.
  std::string_view raw_query;       // The raw query, without '?'; empty for none.
  std::span<const Header> headers;  // As received; names are matched case-insensitively.
  std::string_view body;
};

// Returns the secret key of an access key, or nullopt when the access key is unknown.
using SecretKeyLookup = std::function<std::optional<Secret>(std::string_view access_key)>;

// Checks the SDK-HMAC-SHA256 signature of a received request, as APIG does: parses the
// Authorization header, rebuilds the canonical request from the headers it lists, and
// compares signatures in constant time.
//
// Errors, one code per reason so that a caller (the APIG simulator) can answer each one
// differently without looking at the text:
//   InvalidArgument  - there is no Authorization header.
//   ParseError       - Authorization is malformed or not SDK-HMAC-SHA256; SignedHeaders is
//                      unsorted, lists a header that is absent or repeated, lists
//                      authorization, or lacks x-sdk-date; X-Sdk-Date is malformed; or the
//                      path or query has a malformed escape.
//   NotFound         - the lookup does not know the access key.
//   Timeout          - X-Sdk-Date is more than kMaxClockSkew away from `now` (APIG: "signature
//                      expired"); re-signing with a current date is the fix.
//   PermissionDenied - the signature does not match. The message names the access key and
//                      shows the canonical request the server computed, with newlines as
//                      '|' (APIG's APIGW.0301 does the same) and any x-security-token value
//                      replaced by "<redacted>".
// No message ever contains the secret key, the expected signature or a security token.
Result<void> verify(const ReceivedRequest& request, const SecretKeyLookup& lookup_secret_key,
                    SystemTime now);

}  // namespace apig_certd::auth
