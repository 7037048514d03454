// Static token authentication. The token file's size and modification time are checked
// before every request (one stat(2), cheap next to an HTTPS call); when they differ from the
// last read, the file is read again. A token that cannot be read is an error for this
// request, not a crash: the operator may be mid-way through replacing it.

#include "daemon/auth/token_authenticator.h"

#include <system_error>
#include <utility>

namespace apig_certd::auth {

TokenAuthenticator::TokenAuthenticator(SecretReader token, std::filesystem::path watched_file)
    : token_reader_(std::move(token)), watched_file_(std::move(watched_file)) {}

std::optional<TokenAuthenticator::FileStamp> TokenAuthenticator::stamp() const {
  if (watched_file_.empty()) {
    return std::nullopt;
  }
  std::error_code error;
  FileStamp current;
  current.size = std::filesystem::file_size(watched_file_, error);
  if (error) {
    return std::nullopt;
  }
  current.modified = std::filesystem::last_write_time(watched_file_, error);
  if (error) {
    return std::nullopt;
  }
  return current;
}

Result<void> TokenAuthenticator::reload() {
  const std::optional<FileStamp> before = stamp();
  Result<Secret> token = token_reader_();
  if (!token) {
    token_.reset();
    return fail(std::move(token.error()).with_context("reading the token"));
  }
  if (token->empty()) {
    token_.reset();
    return fail(ErrorCode::InvalidArgument, "the token is empty");
  }
  token_ = std::move(*token);
  token_stamp_ = before;
  return {};
}

Result<void> TokenAuthenticator::authorize(http::Request& request) {
  const std::lock_guard lock(mutex_);
  if (!token_ || (!watched_file_.empty() && stamp() != token_stamp_)) {
    Result<void> loaded = reload();
    if (!loaded) {
      return loaded;
    }
  }
  request.headers.push_back({"X-Auth-Token", std::string(token_->view())});
  return {};
}

bool TokenAuthenticator::refresh_after_unauthorized() {
  const std::lock_guard lock(mutex_);
  std::optional<Secret> previous = std::move(token_);
  token_.reset();
  if (!reload()) {
    return false;
  }
  return !previous || previous->view() != token_->view();
}

}  // namespace apig_certd::auth
