// Fuzz target: the APIG JSON response parsers (daemon/apig/response_parser.h).
//
// Input: a response body as APIG (or a proxy in front of it) might send it. Every parser gets
// the same bytes: each must turn anything that is not the JSON it expects into an error,
// never an exception, crash or undefined behaviour.

#include <cstdint>

#include "daemon/apig/response_parser.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace apig = apig_certd::apig;
  const std::string_view body = apig_certd::fuzz::as_text(data, size);
  (void)apig::parse_group(body);
  (void)apig::parse_bound_domain(body);
  (void)apig::parse_certificate(body);
  (void)apig::parse_error_body(body);
  return 0;
}
