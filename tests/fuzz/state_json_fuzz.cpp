// Fuzz target: state::parse_state() (daemon/state/state.h).
//
// Input: any text. parse_state() returns a State or a ParseError, never crashes; and what it
// accepts survives a save: to_json() of it parses back to the same State (so a file the
// daemon loads, it can also write and load again). Any difference aborts.

#include <cstdint>
#include <cstdlib>

#include "daemon/state/state.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = apig_certd::state::parse_state(apig_certd::fuzz::as_text(data, size));
  if (!parsed) {
    if (parsed.error().code() != apig_certd::ErrorCode::ParseError) {
      std::abort();  // a refusal that is not a ParseError
    }
    return 0;
  }
  const auto again = apig_certd::state::parse_state(apig_certd::state::to_json(*parsed));
  if (!again || *again != *parsed) {
    std::abort();  // what was loaded does not survive a save
  }
  return 0;
}
