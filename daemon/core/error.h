#pragma once

// The error value every fallible function of ours returns (inside Result<T>).
//
// An Error knows what kind of failure it is (ErrorCode, which decides what the caller does
// next), a message naming what failed, the errno of the failing call when there was one, and
// a context chain added from the inside out as the error travels up:
//
//   Error::from_errno("inotify_add_watch", errno).with_context("watching '/etc/ssl/private'")
//   -> "watching '/etc/ssl/private': inotify_add_watch: Permission denied"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apig_certd {

// A small, closed set. Each code is documented by what the caller should do.
enum class ErrorCode {
  InvalidArgument,   // The input is wrong; do not retry until it changes.
  NotFound,          // The thing does not exist; do not retry until something changes.
  PermissionDenied,  // Access refused; fix permissions or credentials, then retry.
  ParseError,        // The input could not be parsed; do not retry until it changes.
  Unavailable,       // A transient failure; retry with backoff.
  Timeout,           // Took too long; retry with backoff.
  Internal,          // Something that should not happen; report it.
};

// Returns the code's name, e.g. "InvalidArgument".
std::string_view to_string(ErrorCode code);

// True for the codes that mean "retry with backoff".
bool is_retryable(ErrorCode code);

// What a remote service answered, as typed facts for decisions (retry, re-read, make room).
// Filled by the code that parses the answer (apig/api_error.h); the service's code is kept as
// sent and interpreted only by that parser.
struct RemoteAnswer {
  long http_status = 0;
  std::string service_code;  // e.g. "APIG.2051"; empty when the body had none
  std::optional<std::chrono::milliseconds> retry_after;  // a Retry-After of whole seconds

  bool operator==(const RemoteAnswer&) const = default;
};

class Error {
 public:
  Error(ErrorCode code, std::string message);

  // An error from a failed system call. `errnum` is the errno captured right after the call.
  // The code is derived from errnum (ENOENT -> NotFound, EACCES/EPERM -> PermissionDenied,
  // EAGAIN/EINTR/... -> Unavailable, ETIMEDOUT -> Timeout, others -> Internal).
  static Error from_errno(std::string_view call, int errnum);

  // Attaches a named fact for programs (not people): "http_status" = "400",
  // "apig_error_code" = "APIG.2051", "request_id" = "...". Used to decide what to do next and
  // as structured journald fields. Setting a name again replaces the value.
  Error&& with_field(std::string name, std::string value) &&;
  Error& with_field(std::string name, std::string value) &;
  // The field's value, or nullopt.
  [[nodiscard]] std::optional<std::string> field(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const {
    return fields_;
  }

  // The remote service's answer, when the failure is one (an HTTP error status).
  Error&& with_remote(RemoteAnswer answer) &&;
  [[nodiscard]] const std::optional<RemoteAnswer>& remote() const { return remote_; }

  // Adds an outer layer of context ("reading '/etc/x'"). Rendered outermost first.
  Error&& with_context(std::string context) &&;
  Error& with_context(std::string context) &;

  [[nodiscard]] ErrorCode code() const { return code_; }
  // The innermost message, without context.
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] std::optional<int> errnum() const { return errnum_; }
  // Outermost first.
  [[nodiscard]] std::vector<std::string> context() const;

  // "outer: inner: message".
  [[nodiscard]] std::string to_string() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::optional<int> errnum_;
  std::vector<std::string> context_;  // Innermost first, as added.
  std::vector<std::pair<std::string, std::string>> fields_;
  std::optional<RemoteAnswer> remote_;
};

// The text of an errno value, thread-safe (strerror_r), e.g. "Permission denied".
std::string errno_text(int errnum);

}  // namespace apig_certd
