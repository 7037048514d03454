#pragma once

// Errors from OpenSSL (STYLE.md §3): OpenSSL reports failures through a per-thread error
// queue instead of return values. These helpers drain that queue into our Error, so a failure
// says what OpenSSL saw ("PEM routines::bad base64 decode"), and so a stale entry never leaks
// into the next, unrelated failure. Declared without OpenSSL types on purpose.

#include <string>
#include <string_view>

#include "daemon/core/error.h"

namespace apig_certd::cert {

// Empties this thread's OpenSSL error queue and returns its entries as one line,
// "reason; reason" (oldest first), or "" when it was empty.
std::string drain_openssl_errors();

// An Error with `code` and the message "`what`: <drained reasons>" (just `what` when the queue
// was empty). Always drains the queue.
Error openssl_error(ErrorCode code, std::string_view what);

// Discards whatever the queue holds; call after a failure that is expected and handled (for
// example the "no start line" that ends a PEM scan).
void clear_openssl_errors() noexcept;

}  // namespace apig_certd::cert
