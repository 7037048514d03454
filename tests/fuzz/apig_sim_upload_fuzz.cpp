// Fuzz target: the APIG simulator's validation of an upload (the body of a bind or a
// certificate update): tests/apig-sim/upload.h reads the JSON, certificate_check.h judges the
// PEM as APIG would. The simulator is the daemon's judge in the integration tests, so a crash
// here would hide the daemon's bugs behind the simulator's.
//
// Input: the request body.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "tests/apig-sim/certificate_check.h"
#include "tests/apig-sim/upload.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sim = apig_certd::sim;
  const auto upload = sim::read_upload(apig_certd::fuzz::as_text(data, size));
  if (!upload) {
    return 0;
  }
  static const std::array<std::string, 2> kDomains = {"www.example.com", "api.example.com"};
  // 2027-01-01T00:00:00Z, inside the seed certificates' validity: fixed, so a crash
  // reproduces on any day.
  const apig_certd::SystemTime now{std::chrono::seconds{1'798'761'600}};
  (void)sim::check_upload(upload->cert_content, upload->private_key, kDomains, now);
  (void)sim::describe_certificate(upload->cert_content);
  return 0;
}
