#pragma once

// Writes small JSON objects of string fields without a JSON library, so a private key goes
// from its Secret into the request body's Secret with no other copy left behind (a
// nlohmann::json value would hold its own, unwiped, copy).

#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/secret.h"

namespace apig_certd {

// {"name":"value",...} with values escaped per RFC 8259. The result is a Secret because a
// value may be one; its capacity is reserved up front so no reallocation leaves a partial copy.
Secret write_json_object(const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// Appends `value` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view value);

}  // namespace apig_certd
