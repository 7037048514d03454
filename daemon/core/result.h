#pragma once

// Result<T>: a value or an Error, impossible to ignore.
//
// A class-level [[nodiscard]] wrapper around tl::expected (Debian's libexpected-dev), so a
// discarded Result<int> or Result<void> is a warning, and with -Werror a build failure. Should
// the toolchain move to C++23, only this header changes (std::expected, transform_error).

#include <utility>

#include <tl/expected.hpp>

#include "daemon/core/error.h"

namespace apig_certd {

template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
};

// `return fail(Error(...));` from a function returning Result<T>.
inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

// Shorthand for the common case.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace apig_certd
