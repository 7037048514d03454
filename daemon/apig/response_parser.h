#pragma once

// Pure parsers from APIG response bodies to models: bytes in, model or Error out, no I/O.
//
// Tolerant of what we do not use (unknown fields, missing optional fields, null), strict
// about the type of every field we do use: a wrong type is an error naming the field's path
// ("url_domains[2].cname_status should be an integer, got string"), never a crash. Errors
// are ErrorCode::Unavailable with field "bad_response" = "1": DESIGN.md §4.5 treats a 2xx
// whose body is not the JSON we expect as transient (a proxy's error page, a truncated read).

#include <string_view>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/core/result.h"

namespace apig_certd::apig {

Result<Group> parse_group(std::string_view body);
Result<BoundDomain> parse_bound_domain(std::string_view body);
Result<Certificate> parse_certificate(std::string_view body);
// GET /certificates: the "certs" array.
Result<std::vector<Certificate>> parse_certificate_list(std::string_view body);
// GET /certificates/{id}/attached-domains: how many domains the certificate is bound to
// ("total", and never fewer than the "bound_domains" listed).
Result<long> parse_attached_domain_count(std::string_view body);

// The error body {"error_code","error_msg"} (or {"code","message"}); empty strings when the
// body is not such JSON. Never fails: an error response may be anything.
struct ErrorBody {
  std::string error_code;
  std::string error_msg;
  std::string request_id;
};
ErrorBody parse_error_body(std::string_view body);

}  // namespace apig_certd::apig
