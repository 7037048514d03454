// Fuzz target: the duration parser (daemon/core/duration.h).
//
// Input: the text of a duration as an operator would write it in the config ("1h30m").
// Besides "never crash", it checks the round trip the daemon relies on when it prints
// settings back: whatever parses, format_duration() spells in a way that parses to the same
// value.

#include <cstdint>
#include <cstdlib>

#include "daemon/core/duration.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto duration = apig_certd::parse_duration(apig_certd::fuzz::as_text(data, size));
  if (!duration) {
    return 0;
  }
  const std::string spelled = apig_certd::format_duration(*duration);
  const auto again = apig_certd::parse_duration(spelled);
  if (!again || *again != *duration) {
    std::abort();  // The round trip broke: format_duration() wrote what parse cannot read.
  }
  return 0;
}
