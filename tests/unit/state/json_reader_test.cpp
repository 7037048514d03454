// state::read_json() against nlohmann::json::sax_parse(): the same events for the same texts,
// the same texts refused, and what only read_json() promises (its messages, no recursion).
// The state_json fuzz target checks the first two on any text.

#include "daemon/state/json_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/json_events.h"

namespace apig_certd::state::json_reader_test {
namespace {

using testing::JsonEvents;

struct Read {
  bool accepted = false;
  std::vector<std::string> events;
  std::string error;
};

Read ours(std::string_view text) {
  Read read;
  JsonEvents events;
  read.accepted = read_json(text, events, read.error);
  read.events = std::move(events.events);
  return read;
}

Read theirs(std::string_view text) {
  Read read;
  JsonEvents events;
  read.accepted = nlohmann::json::sax_parse(text.begin(), text.end(), &events);
  read.events = std::move(events.events);
  return read;
}

TEST(ReadJson, GivesNlohmannsEventsForWhatItAccepts) {
  const std::vector<std::string> texts = {
      R"({"version": 1, "targets": {"b/i/g/d": {"created": [{"ssl_id": "x"}], "at": null}}})",
      "[0, -0, 1, -1, 18446744073709551615, 18446744073709551616, -9223372036854775808, "
      "-9223372036854775809, 1.5, -0.0, 1e5, 1E+5, 2.5e-3, 1e-400, 12345678901234567890123]",
      R"(["esc \" \\ \/ \b \f \n \r \t", "\u00e9\u20ac\ud83d\ude00", "\u0000", "\u001f"])",
      "[\"utf-8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\", \"del \x7f\"]",
      "\xef\xbb\xbf{\"bom\": true}",
      std::string("{\"a\": 1}\0 anything after a NUL byte", 34),
      " \t\r\n{ } ",
      "[[[[{\"a\": [[{}]], \"b\": {\"c\": []}}]]]]",
      "\"just a string\"",
      "false",
      "{\"same\": 1, \"same\": 2}",
  };
  for (const std::string& text : texts) {
    const Read expected = theirs(text);
    ASSERT_TRUE(expected.accepted) << text;
    const Read read = ours(text);
    EXPECT_TRUE(read.accepted) << text << ": " << read.error;
    EXPECT_EQ(read.events, expected.events) << text;
  }
}

TEST(ReadJson, RefusesWhatNlohmannRefuses) {
  const std::vector<std::string> texts = {
      "",
      "   ",
      "{",
      "{\"a\": 1,}",
      "[1,]",
      "[01]",
      "[-]",
      "[1.]",
      "[.5]",
      "[1e]",
      "[+1]",
      "[1e400]",
      "[-1e400]",
      "[NaN]",
      "[tru]",
      "[nul]",
      "{\"a\" 1}",
      "{a: 1}",
      "{\"a\": 1} x",
      "[1 2]",
      "[\"unterminated]",
      "[\"tab\tinside\"]",
      "[\"bad \\x escape\"]",
      "[\"\\u12\"]",
      "[\"\\ud800\"]",
      "[\"\\ud800\\u0041\"]",
      "[\"\\udc00\"]",
      "[\"\xc0\xaf\"]",
      "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]",
      "[\"\xe2\x82\"]",
      "[\"\x80\"]",
      "\xef\xbb{}",
      " \xef\xbb\xbf{}",
      "// comment\n{}",
      std::string("[1\0]", 4),
  };
  for (const std::string& text : texts) {
    const Read expected = theirs(text);
    ASSERT_FALSE(expected.accepted) << text;
    const Read read = ours(text);
    EXPECT_FALSE(read.accepted) << text;
    EXPECT_EQ(read.events, expected.events) << text;
    EXPECT_TRUE(read.error.starts_with("parse error at line ")) << text << ": " << read.error;
  }
}

TEST(ReadJson, SaysWhereAndWhat) {
  EXPECT_EQ(ours("{\"version\": 1,\n  oops").error,
            "parse error at line 2, column 3: unexpected 'o'; expected a member name");
  EXPECT_EQ(ours("[1, 2").error,
            "parse error at line 1, column 6: unexpected end of input; expected ',' or ']'");
  EXPECT_EQ(ours("[\"a\x01\"]").error,
            "parse error at line 1, column 4: control character byte 0x01 in a string; it "
            "must be escaped");
}

TEST(ReadJson, NestingDoesNotUseTheCallStack) {
  const std::size_t depth = 100'000;
  const std::string open(depth, '[');
  const Read unterminated = ours(open);
  EXPECT_FALSE(unterminated.accepted);
  EXPECT_EQ(unterminated.events.size(), depth);
  const Read closed = ours(open + std::string(depth, ']'));
  EXPECT_TRUE(closed.accepted) << closed.error;
  EXPECT_EQ(closed.events.size(), 2 * depth);
}

TEST(ReadJson, AHandlerThatSaysStopStopsTheReading) {
  JsonEvents events;
  events.stop_after = 2;
  std::string error;
  EXPECT_FALSE(read_json(R"({"a": [1, 2, 3]})", events, error));
  EXPECT_EQ(events.events, (std::vector<std::string>{"{ 18446744073709551615", "key a"}));
  EXPECT_TRUE(error.empty()) << error;
}

}  // namespace
}  // namespace apig_certd::state::json_reader_test
