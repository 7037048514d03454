// Fuzz target: the TOML settings loader (daemon/settings/settings.h, parse_settings()).
//
// Input: the text of a config file. toml++ throws on syntax errors and the loader promises to
// turn those, and every contract violation, into a Result: an exception escaping here is a
// bug (libFuzzer reports it as a crash). The environment is empty, so secrets come only from
// files, which under /nonexistent do not exist.

#include <cstdint>

#include "daemon/core/environment.h"
#include "daemon/settings/settings.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const apig_certd::Environment kEnvironment;
  (void)apig_certd::settings::parse_settings(apig_certd::fuzz::as_text(data, size),
                                             "/nonexistent/apig-certd/config.toml", kEnvironment);
  return 0;
}
