// read_json(): a strict JSON reader with nlohmann's SAX interface (json_reader.h).
//
// Where nlohmann's own lexer has a peculiarity, it is kept, so that a file reads the same
// either way: a UTF-8 byte order mark at the very start is skipped (anything else starting
// with 0xEF is refused), and a NUL byte outside a string ends the input (nlohmann reads from
// C strings too); DEL (0x7F) is an ordinary character in strings.

#include "daemon/state/json_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace apig_certd::state {

namespace {

using JsonSax = nlohmann::json_sax<nlohmann::json>;

constexpr std::size_t kUnknownElements = static_cast<std::size_t>(-1);

class JsonTextReader {
 public:
  JsonTextReader(std::string_view text, JsonSax& sax, std::string& error)
      : begin_(text.data()),
        at_(text.data()),
        end_(text.data() + text.size()),
        sax_(sax),
        error_(error) {}

  bool read() {
    if (at_ != end_ && static_cast<unsigned char>(*at_) == 0xEF) {
      if (end_ - at_ < 3 || static_cast<unsigned char>(at_[1]) != 0xBB ||
          static_cast<unsigned char>(at_[2]) != 0xBF) {
        return fail("invalid byte order mark; it must be 0xEF 0xBB 0xBF if given");
      }
      at_ += 3;
    }
    // Each turn reads one value: a scalar, or the opening of a container (whose members are
    // the next turns). Then the containers that end here are closed.
    while (true) {
      skip_whitespace();
      if (at_end()) {
        return fail("unexpected end of input; expected a value");
      }
      bool value_done = true;
      switch (*at_) {
        case '{':
        case '[': {
          const bool object = *at_ == '{';
          ++at_;
          if (!(object ? sax_.start_object(kUnknownElements)
                       : sax_.start_array(kUnknownElements))) {
            return false;
          }
          skip_whitespace();
          if (!at_end() && *at_ == (object ? '}' : ']')) {
            if (!close(object ? '{' : '[')) {
              return false;
            }
          } else {
            open_.push_back(object ? '{' : '[');
            if (object && !read_key()) {
              return false;
            }
            value_done = false;
          }
          break;
        }
        case '"':
          if (!read_string()) {
            return false;
          }
          if (!sax_.string(text_)) {
            return false;
          }
          break;
        case 't':
          if (!literal("true") || !sax_.boolean(true)) {
            return false;
          }
          break;
        case 'f':
          if (!literal("false") || !sax_.boolean(false)) {
            return false;
          }
          break;
        case 'n':
          if (!literal("null") || !sax_.null()) {
            return false;
          }
          break;
        default:
          if (!read_number()) {
            return false;
          }
          break;
      }
      if (!value_done) {
        continue;
      }
      // After a value: the end of the text, a separator, or the end of a container.
      bool next_value = false;
      while (!next_value) {
        skip_whitespace();
        if (open_.empty()) {
          if (!at_end()) {
            return fail("unexpected " + shown() + "; expected the end of the input");
          }
          return true;
        }
        const char container = open_.back();
        if (at_end()) {
          return fail(std::string("unexpected end of input; expected ',' or '") +
                      (container == '{' ? '}' : ']') + "'");
        }
        if (*at_ == ',') {
          ++at_;
          if (container == '{' && !read_key()) {
            return false;
          }
          next_value = true;
        } else if (*at_ == (container == '{' ? '}' : ']')) {
          open_.pop_back();
          if (!close(container)) {
            return false;
          }
        } else {
          return fail("unexpected " + shown() + "; expected ',' or '" +
                      (container == '{' ? "}" : "]") + "'");
        }
      }
    }
  }

 private:
  // The end of the container `container` opened ('{' or '['), at the position.
  bool close(char container) {
    ++at_;
    return container == '{' ? sax_.end_object() : sax_.end_array();
  }

  // A NUL byte ends the input as the end of the text does (nlohmann's lexer does the same).
  bool at_end() const { return at_ == end_ || *at_ == '\0'; }

  void skip_whitespace() {
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\t' || *at_ == '\n' || *at_ == '\r')) {
      ++at_;
    }
  }

  // The character at the current position, for a message.
  std::string shown() const {
    const auto byte = static_cast<unsigned char>(*at_);
    if (byte >= 0x20 && byte < 0x7F) {
      return std::string("'") + *at_ + "'";
    }
    constexpr std::string_view kDigits = "0123456789ABCDEF";
    return std::string("byte 0x") + kDigits[byte >> 4U] + kDigits[byte & 0xFU];
  }

  bool fail(const std::string& what) {
    std::size_t line = 1;
    const char* line_start = begin_;
    for (const char* c = begin_; c < at_; ++c) {
      if (*c == '\n') {
        ++line;
        line_start = c + 1;
      }
    }
    error_ = "parse error at line " + std::to_string(line) + ", column " +
             std::to_string(at_ - line_start + 1) + ": " + what;
    return false;
  }

  // A member's name, the colon after it, and the whitespace around them.
  bool read_key() {
    skip_whitespace();
    if (at_end() || *at_ != '"') {
      return fail(at_end() ? std::string("unexpected end of input; expected a member name")
                           : "unexpected " + shown() + "; expected a member name");
    }
    if (!read_string()) {
      return false;
    }
    if (!sax_.key(text_)) {
      return false;
    }
    skip_whitespace();
    if (at_end() || *at_ != ':') {
      return fail(at_end() ? std::string("unexpected end of input; expected ':'")
                           : "unexpected " + shown() + "; expected ':'");
    }
    ++at_;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - at_) < word.size() ||
        std::string_view(at_, word.size()) != word) {
      return fail("invalid literal; expected '" + std::string(word) + "'");
    }
    at_ += word.size();
    return true;
  }

  // Four hex digits of a \u escape.
  bool hex4(unsigned& value) {
    value = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_ == end_) {
        return fail("unexpected end of input in a \\u escape");
      }
      const char c = *at_;
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return fail("a \\u escape must be followed by 4 hex digits");
      }
      value = (value << 4U) | digit;
      ++at_;
    }
    return true;
  }

  void append_utf8(unsigned code_point) {
    if (code_point < 0x80) {
      text_ += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
      text_ += static_cast<char>(0xC0U | (code_point >> 6U));
      text_ += static_cast<char>(0x80U | (code_point & 0x3FU));
    } else if (code_point < 0x10000) {
      text_ += static_cast<char>(0xE0U | (code_point >> 12U));
      text_ += static_cast<char>(0x80U | ((code_point >> 6U) & 0x3FU));
      text_ += static_cast<char>(0x80U | (code_point & 0x3FU));
    } else {
      text_ += static_cast<char>(0xF0U | (code_point >> 18U));
      text_ += static_cast<char>(0x80U | ((code_point >> 12U) & 0x3FU));
      text_ += static_cast<char>(0x80U | ((code_point >> 6U) & 0x3FU));
      text_ += static_cast<char>(0x80U | (code_point & 0x3FU));
    }
  }

  bool escape() {
    ++at_;  // the backslash
    if (at_ == end_) {
      return fail("unexpected end of input in an escape");
    }
    const char c = *at_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        text_ += c;
        return true;
      case 'b':
        text_ += '\b';
        return true;
      case 'f':
        text_ += '\f';
        return true;
      case 'n':
        text_ += '\n';
        return true;
      case 'r':
        text_ += '\r';
        return true;
      case 't':
        text_ += '\t';
        return true;
      case 'u': {
        unsigned code_point = 0;
        if (!hex4(code_point)) {
          return false;
        }
        if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
          return fail("a low surrogate \\u escape must follow a high surrogate");
        }
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {
          if (end_ - at_ < 2 || at_[0] != '\\' || at_[1] != 'u') {
            return fail("a high surrogate \\u escape must be followed by a low surrogate");
          }
          at_ += 2;
          unsigned low = 0;
          if (!hex4(low)) {
            return false;
          }
          if (low < 0xDC00 || low > 0xDFFF) {
            return fail("a high surrogate \\u escape must be followed by a low surrogate");
          }
          code_point = 0x10000 + ((code_point - 0xD800) << 10U) + (low - 0xDC00);
        }
        append_utf8(code_point);
        return true;
      }
      default:
        --at_;
        return fail("invalid escape " + shown());
    }
  }

  // One UTF-8 sequence of 2 to 4 bytes (RFC 3629: no overlong forms, no surrogates, nothing
  // past U+10FFFF), copied as it is.
  bool utf8_sequence() {
    const auto lead = static_cast<unsigned char>(*at_);
    int continuation = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      low = lead == 0xE0 ? 0xA0 : 0x80;
      high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      low = lead == 0xF0 ? 0x90 : 0x80;
      high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
      return fail("ill-formed UTF-8 " + shown() + " in a string");
    }
    const char* start = at_++;
    for (int i = 0; i < continuation; ++i) {
      const auto byte = at_ == end_ ? 0 : static_cast<unsigned char>(*at_);
      if (byte < low || byte > high) {
        return fail(at_ == end_ ? std::string("unexpected end of input in a string")
                                : "ill-formed UTF-8 " + shown() + " in a string");
      }
      low = 0x80;
      high = 0xBF;
      ++at_;
    }
    text_.append(start, at_);
    return true;
  }

  // A string, from its opening quote; its text in text_.
  bool read_string() {
    ++at_;
    text_.clear();
    while (true) {
      const char* run = at_;
      while (at_ != end_) {
        const auto byte = static_cast<unsigned char>(*at_);
        if (byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\') {
          break;
        }
        ++at_;
      }
      text_.append(run, at_);
      if (at_ == end_) {
        return fail("unexpected end of input; expected '\"'");
      }
      const auto byte = static_cast<unsigned char>(*at_);
      if (byte == '"') {
        ++at_;
        return true;
      }
      if (byte == '\\') {
        if (!escape()) {
          return false;
        }
      } else if (byte < 0x20) {
        return fail("control character " + shown() + " in a string; it must be escaped");
      } else if (!utf8_sequence()) {
        return false;
      }
    }
  }

  bool digits() {
    const char* start = at_;
    while (at_ != end_ && *at_ >= '0' && *at_ <= '9') {
      ++at_;
    }
    return at_ != start;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool read_number() {
    const char* start = at_;
    const bool negative = *at_ == '-';
    if (negative) {
      ++at_;
    }
    if (at_ == end_ || *at_ < '0' || *at_ > '9') {
      if (!negative) {
        return fail("unexpected " + shown() + "; expected a value");
      }
      return fail("a '-' must be followed by a digit");
    }
    if (*at_ == '0') {
      ++at_;
    } else {
      digits();
    }
    bool integer = true;
    if (at_ != end_ && *at_ == '.') {
      ++at_;
      integer = false;
      if (!digits()) {
        return fail("a '.' in a number must be followed by a digit");
      }
    }
    if (at_ != end_ && (*at_ == 'e' || *at_ == 'E')) {
      ++at_;
      integer = false;
      if (at_ != end_ && (*at_ == '+' || *at_ == '-')) {
        ++at_;
      }
      if (!digits()) {
        return fail("an exponent in a number must have a digit");
      }
    }
    number_.assign(start, at_);
    if (integer) {
      // As nlohmann: an integer that does not fit is read as a floating-point number.
      errno = 0;
      char* parsed_end = nullptr;
      if (negative) {
        const long long value = std::strtoll(number_.c_str(), &parsed_end, 10);
        if (errno == 0) {
          return sax_.number_integer(static_cast<std::int64_t>(value));
        }
      } else {
        const unsigned long long value = std::strtoull(number_.c_str(), &parsed_end, 10);
        if (errno == 0) {
          return sax_.number_unsigned(static_cast<std::uint64_t>(value));
        }
      }
    }
    char* parsed_end = nullptr;
    const double value = std::strtod(number_.c_str(), &parsed_end);
    if (!std::isfinite(value)) {
      at_ = start;
      return fail("number overflow: " + number_);
    }
    return sax_.number_float(value, number_);
  }

  const char* begin_;
  const char* at_;
  const char* end_;
  JsonSax& sax_;
  std::string& error_;
  std::vector<char> open_;  // '{' and '[' of the containers open around the position
  std::string text_;        // the last string read
  std::string number_;      // the last number's text
};

}  // namespace

bool read_json(std::string_view text, nlohmann::json_sax<nlohmann::json>& sax, std::string& error) {
  return JsonTextReader(text, sax, error).read();
}

}  // namespace apig_certd::state
