// Error: code, message, errno and a context chain.
//
// The context is stored innermost first because that is the order in which it is added as
// an error is propagated up the stack; to_string() renders it outermost first, which is how
// a person reads it ("doing the big thing: doing the small thing: the syscall failed").
// errno_text() exists because strerror() is not thread-safe and we have worker threads.

#include "daemon/core/error.h"

#include <array>
#include <cerrno>
#include <cstring>

namespace apig_certd {

namespace {

ErrorCode code_for_errno(int errnum) {
  switch (errnum) {
    case ENOENT:
    case ENOTDIR:
      return ErrorCode::NotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return ErrorCode::PermissionDenied;
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ECONNREFUSED:
    case ECONNRESET:
    case ENETUNREACH:
    case EHOSTUNREACH:
      return ErrorCode::Unavailable;
    case ETIMEDOUT:
      return ErrorCode::Timeout;
    case EINVAL:
    case ELOOP:
    case ENAMETOOLONG:
    case EISDIR:
      return ErrorCode::InvalidArgument;
    default:
      return ErrorCode::Internal;
  }
}

// GNU strerror_r returns char*; XSI returns int. Overloads pick the right one.
[[maybe_unused]] std::string strerror_result(const char* text, const char* /*buffer*/) {
  return text;
}
[[maybe_unused]] std::string strerror_result(int status, const char* buffer) {
  return status == 0 ? std::string(buffer) : std::string("unknown error");
}

}  // namespace

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::PermissionDenied:
      return "PermissionDenied";
    case ErrorCode::ParseError:
      return "ParseError";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Unknown";
}

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::Unavailable || code == ErrorCode::Timeout;
}

std::string errno_text(int errnum) {
  std::array<char, 256> buffer{};
  return strerror_result(strerror_r(errnum, buffer.data(), buffer.size()), buffer.data());
}

Error::Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

Error Error::from_errno(std::string_view call, int errnum) {
  Error error(code_for_errno(errnum), std::string(call) + ": " + errno_text(errnum));
  error.errnum_ = errnum;
  return error;
}

Error&& Error::with_context(std::string context) && {
  context_.push_back(std::move(context));
  return std::move(*this);
}

Error& Error::with_context(std::string context) & {
  context_.push_back(std::move(context));
  return *this;
}

Error&& Error::with_field(std::string name, std::string value) && {
  with_field(std::move(name), std::move(value));
  return std::move(*this);
}

Error&& Error::with_remote(RemoteAnswer answer) && {
  remote_ = std::move(answer);
  return std::move(*this);
}

Error& Error::with_field(std::string name, std::string value) & {
  for (auto& [existing, existing_value] : fields_) {
    if (existing == name) {
      existing_value = std::move(value);
      return *this;
    }
  }
  fields_.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::optional<std::string> Error::field(std::string_view name) const {
  for (const auto& [existing, value] : fields_) {
    if (existing == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Error::context() const {
  return {context_.rbegin(), context_.rend()};
}

std::string Error::to_string() const {
  std::string text;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    text += *it;
    text += ": ";
  }
  text += message_;
  return text;
}

}  // namespace apig_certd
