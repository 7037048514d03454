// Fuzz target: state::read_json() (daemon/state/json_reader.h) against nlohmann-json.
//
// Input: any text. read_json() promises what nlohmann::json::sax_parse() does: the same texts
// accepted, and the same SAX events in the same order (numbers compared bit for bit, strings
// byte for byte), also up to the point where a text is refused. Any difference aborts.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/state/json_reader.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/json_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = apig_certd::fuzz::as_text(data, size);
  apig_certd::testing::JsonEvents theirs;
  const bool they_accept = nlohmann::json::sax_parse(text.begin(), text.end(), &theirs);
  apig_certd::testing::JsonEvents ours;
  std::string error;
  const bool we_accept = apig_certd::state::read_json(text, ours, error);
  if (we_accept != they_accept || ours.events != theirs.events) {
    std::abort();  // read_json() and nlohmann read this text differently
  }
  if (!we_accept && error.rfind("parse error at line ", 0) != 0) {
    std::abort();  // a refusal without its message
  }
  return 0;
}
