#pragma once

// TokenAuthenticator: a static IAM token (X-Auth-Token), re-read whenever its file changes,
// so another process (a sidecar, a cron job) can keep it fresh.

#include <filesystem>
#include <mutex>
#include <optional>

#include "daemon/auth/authenticator.h"
#include "daemon/auth/secret_reader.h"

namespace apig_certd::auth {

class TokenAuthenticator final : public Authenticator {
 public:
  // `watched_file` is the token file to stat for changes (empty when the token comes from an
  // environment variable, which cannot change under us).
  TokenAuthenticator(SecretReader token, std::filesystem::path watched_file);

  Result<void> authorize(http::Request& request) override;
  // Re-reads the token; true when it changed.
  bool refresh_after_unauthorized() override;
  [[nodiscard]] std::string_view method_name() const override { return "token"; }

 private:
  struct FileStamp {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified;
    bool operator==(const FileStamp&) const = default;
  };
  [[nodiscard]] std::optional<FileStamp> stamp() const;
  Result<void> reload();  // Requires mutex_.

  SecretReader token_reader_;
  std::filesystem::path watched_file_;
  std::mutex mutex_;
  std::optional<Secret> token_;           // Guarded by mutex_.
  std::optional<FileStamp> token_stamp_;  // Guarded by mutex_.
};

}  // namespace apig_certd::auth
