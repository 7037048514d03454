#pragma once

// read_json(): JSON text as SAX events, for reading state.json.
//
// The same events, in the same order, as nlohmann::json::sax_parse() gives the same handler
// for the same text, and the same texts accepted: RFC 8259 strictly (no comments, no trailing
// commas, no leading zeros, UTF-8 checked in strings, one value and nothing after it but
// whitespace), integers as number_unsigned / number_integer while they fit and as
// number_float beyond, a number that overflows a double refused. It exists because
// nlohmann's lexer took two thirds of a start's state read (it copies every character it
// reads into two buffers): with 1,000 bindings (2.85 MB) it took 243 M of the 369 M
// instructions. The fuzz target state_json_fuzz holds the two to the same events.
//
// Nesting is kept on a heap stack, so no text can exhaust the call stack.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace apig_certd::state {

// Reads `text` into `sax`. True when the text is one JSON value and every event returned
// true. False when an event returned false, or on a syntax error, for which `error` is set:
// "parse error at line L, column C: what was wrong".
bool read_json(std::string_view text, nlohmann::json_sax<nlohmann::json>& sax, std::string& error);

}  // namespace apig_certd::state
