// PrettyJsonWriter writes what nlohmann-json's dump(2, ' ', false, replace) writes for the
// same document: nesting, empty containers, every kind of value and every kind of string
// (escapes, UTF-8, invalid UTF-8, control characters).

#include "daemon/state/json_writer.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace apig_certd::state::json_writer_test {
namespace {

using nlohmann::ordered_json;

std::string nlohmann_dump(const ordered_json& document) {
  return document.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

const std::vector<std::string>& awkward_strings() {
  static const std::vector<std::string> strings{
      "",
      "plain ascii 0123 ~!@#$%^&*()_+{}|:<>?",
      "quote \" and backslash \\ and slash /",
      "controls \b\f\n\r\t \x01 \x1f and DEL \x7f",
      "UTF-8: caf\xc3\xa9, \xe4\xb8\xad\xe6\x96\x87, \xf0\x9f\x94\x92",
      "invalid: \xff, truncated \xe4\xb8, lone continuation \x80 end",
      std::string("nul \0 inside", 12),
  };
  return strings;
}

TEST(PrettyJsonWriterTest, WritesWhatNlohmannDumps) {
  ordered_json expected = ordered_json::object();
  std::string text;
  PrettyJsonWriter out(text);
  out.begin_object();

  out.key("empty_object");
  out.begin_object();
  out.end_object();
  expected["empty_object"] = ordered_json::object();

  out.key("empty_array");
  out.begin_array();
  out.end_array();
  expected["empty_array"] = ordered_json::array();

  out.key("numbers");
  out.begin_array();
  ordered_json numbers = ordered_json::array();
  for (const std::int64_t number :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    out.integer(number);
    numbers.push_back(number);
  }
  out.unsigned_integer(std::numeric_limits<std::uint64_t>::max());
  numbers.push_back(std::numeric_limits<std::uint64_t>::max());
  out.end_array();
  expected["numbers"] = numbers;

  out.key("flags");
  out.begin_object();
  out.key("yes");
  out.boolean(true);
  out.key("no");
  out.boolean(false);
  out.key("nothing");
  out.null();
  out.end_object();
  expected["flags"] = {{"yes", true}, {"no", false}, {"nothing", nullptr}};

  out.key("strings");
  out.begin_array();
  ordered_json strings = ordered_json::array();
  for (const std::string& value : awkward_strings()) {
    out.string(value);
    strings.push_back(value);
  }
  out.end_array();
  expected["strings"] = strings;

  // Awkward keys, and objects in arrays in objects.
  out.key("nested");
  out.begin_object();
  ordered_json nested = ordered_json::object();
  for (std::size_t i = 0; i < awkward_strings().size(); ++i) {
    const std::string& name = awkward_strings()[i];
    out.key(name);
    out.begin_array();
    out.begin_object();
    out.key("i");
    out.integer(static_cast<std::int64_t>(i));
    out.end_object();
    out.begin_array();
    out.end_array();
    out.end_array();
    nested[name] = ordered_json::array({{{"i", i}}, ordered_json::array()});
  }
  out.end_object();
  expected["nested"] = nested;

  out.end_object();
  EXPECT_EQ(text, nlohmann_dump(expected));
}

TEST(PrettyJsonWriterTest, ATopLevelEmptyObjectIsBraces) {
  std::string text;
  PrettyJsonWriter out(text);
  out.begin_object();
  out.end_object();
  EXPECT_EQ(text, "{}");
}

}  // namespace
}  // namespace apig_certd::state::json_writer_test
