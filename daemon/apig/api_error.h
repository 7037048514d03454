#pragma once

// Turning an APIG error response into an Error a person can act on.
//
// The Error's message reads "APIG answered 400 APIG.2101 (the certificate and the private key
// do not match): <error_msg>; <hint>" and its fields carry the facts for programs:
// http_status, apig_error_code, apig_error_msg, request_id. The ErrorCode decides retry:
// 429, 5xx and APIG.9008 are Unavailable (retry with backoff); 401/403 PermissionDenied;
// 404 NotFound; other 4xx InvalidArgument (do not retry until something changes).

#include <string>
#include <string_view>

#include "daemon/core/error.h"
#include "daemon/http/transport.h"

namespace apig_certd::apig {

// The APIG answers the engine decides on; every other code is Other. The only place that
// reads APIG's error code text (api_error.cpp).
enum class ApigError {
  None,                  // not an APIG answer (a transport failure, a timeout)
  Other,                 // an APIG error the engine has no special handling for
  DomainHasCertificate,  // APIG.2051: the domain already has a certificate bound
  NoPermission,          // APIG.1005 (401 or 403): a missing permission, not a stale token
  NameExists,            // APIG.3325 on a create: an object of that name exists already
};

// Which of the above `error` is.
ApigError apig_error(const Error& error);

// True when a failed request may still have been carried out: no HTTP answer (a timeout, a
// cut connection) or a 5xx, after which APIG may have acted before failing.
bool outcome_unknown(const Error& error);

// A plain-words hint for an APIG error code, or "" when we have none.
std::string_view hint_for(std::string_view error_code);

// The ErrorCode for an HTTP status and APIG error code.
ErrorCode classify_status(long http_status, std::string_view error_code);

// Builds the Error for a non-2xx response to `what` (e.g. "binding a certificate to domain
// 'www.example.com'"). Never includes request bodies; the response body is shown only as
// APIG's error_msg.
Error api_error(std::string_view what, const http::Response& response);

}  // namespace apig_certd::apig
