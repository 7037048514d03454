#pragma once

// The seed file: the account the simulator starts with (README.md documents the schema).

#include <filesystem>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "tests/apig-sim/authenticator.h"
#include "tests/apig-sim/model.h"

namespace apig_certd::sim {

struct Seed {
  Model model;
  Credentials credentials;
};

// Parses seed JSON. `now` stamps register/create times. ParseError for malformed JSON;
// InvalidArgument for a schema violation, with the JSON path of the offending value in the
// message (e.g. "instances[0].groups[1].domains[0].cname_sequence[2]: expected 1..4"). Messages
// never contain secret values.
Result<Seed> parse_seed(std::string_view json_text, SystemTime now);

// Reads and parses a seed file; errors get the path as context.
Result<Seed> load_seed(const std::filesystem::path& path, SystemTime now);

}  // namespace apig_certd::sim
