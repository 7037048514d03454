// read_secret(): fetch a secret's value from where the loader located it.
//
// Secrets are read on use, not at load time, so a token file that an external process
// rotates is picked up on the next request, and Settings never holds a secret. The value
// goes straight from the read buffer into a Secret (which wipes itself); every error names
// the source by its description ("secret_key_file '/etc/x'"), never by content.
//
// Files named in the config are checked again here, on the descriptor actually read: the
// permissions may have changed since the config was loaded. A trailing newline is removed
// because `echo KEY > file` and most editors add one, and no credential ends in one.

#include <cstring>
#include <string>

#include <sys/stat.h>

#include "daemon/settings/file_reader.h"
#include "daemon/settings/settings.h"

namespace apig_certd::settings {

namespace {

constexpr std::size_t kMaxSecretSize = std::size_t{64} * 1024;

void trim_one_newline(std::string& value) {
  if (value.ends_with('\n')) {
    value.pop_back();
    if (value.ends_with('\r')) {
      value.pop_back();
    }
  }
}

// Wraps `value` in a Secret, refusing an empty one. Both paths wipe the temporary.
Result<Secret> make_secret(std::string value, const std::string& description) {
  trim_one_newline(value);
  if (value.empty()) {
    return fail(ErrorCode::InvalidArgument, description + " is empty; expected the secret");
  }
  return Secret(std::move(value));
}

Result<Secret> read_secret_file(const SecretSource& source) {
  Result<FileContent> content = read_small_file(source.path, kMaxSecretSize, source.description);
  if (!content) {
    return fail(std::move(content.error()));
  }
  if (source.kind == SecretSource::Kind::File && (content->mode & S_IROTH) != 0) {
    ::explicit_bzero(content->bytes.data(), content->bytes.size());
    return fail(ErrorCode::PermissionDenied, source.description +
                                                 " is readable by other users; run chmod 600 '" +
                                                 source.path.string() + "'");
  }
  return make_secret(std::move(content->bytes), source.description);
}

}  // namespace

Result<Secret> read_secret(const SecretSource& source, const Environment& environment) {
  switch (source.kind) {
    case SecretSource::Kind::File:
    case SecretSource::Kind::Credential:
      return read_secret_file(source);
    case SecretSource::Kind::Environment: {
      std::optional<std::string> value = environment.get(source.variable);
      if (!value) {
        return fail(ErrorCode::NotFound, source.description + " is not set");
      }
      return make_secret(std::move(*value), source.description);
    }
  }
  return fail(ErrorCode::Internal, source.description + ": unknown secret source");
}

}  // namespace apig_certd::settings
