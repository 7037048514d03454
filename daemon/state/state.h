#pragma once

// The state model (DESIGN.md §5): what apig-certd knows about each target between passes,
// saved as {state_dir}/state.json. It holds only what must survive a restart (what is bound,
// the certificates we created, the last results and errors, the backoff), and deliberately
// has no field that could hold a secret (no key, token or password). Facts derived from the
// certificate files are not kept here (engine/bundle_cache.h keeps them in memory).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/state/target_result.h"

namespace apig_certd::state {

// The version written to and required in state.json.
inline constexpr int kStateVersion = 1;

struct LastError {
  std::string code;     // e.g. "APIG.2101", "Unavailable", "invalid"
  std::string message;  // one line, no secret
  SystemTime at{};

  bool operator==(const LastError&) const = default;
};

// How many created certificates a target remembers at least (keep_previous + 1 when that is
// more; the oldest are forgotten first). Cleanup (cleanup = true, the default) keeps the list
// at keep_previous + 1; this bounds it when cleanup is off or keeps failing, so neither the
// state file nor the daemon's memory grows with every renewal.
inline constexpr std::size_t kMaxCreatedRemembered = 16;

// A certificate object apig-certd created for a target, remembered so the cleanup of
// superseded certificates can delete it later; dropped once deleted.
struct CreatedCertificate {
  std::string ssl_id;
  std::string name;
  std::string sha256;
  SystemTime created_at{};
  // The cleanup's last failed delete of it (engine/cleanup.h): when, and APIG's answer in one
  // line. Not tried again until daemon.rescan_interval has passed.
  std::optional<SystemTime> delete_failed_at;
  std::string delete_error;

  bool operator==(const CreatedCertificate&) const = default;
};

struct TargetState {
  // Identity (also the map key, see target_key()).
  std::string binding;
  std::string instance_id;
  std::string group_id;
  std::string domain;     // as configured (may be empty when only domain_id is configured)
  std::string domain_id;  // resolved or configured
  // The certificate on disk when last looked at.
  std::string disk_sha256;
  std::optional<SystemTime> disk_not_after;
  // What we bound.
  std::string bound_sha256;
  std::string bound_name;
  std::string ssl_id;
  std::optional<SystemTime> bound_at;
  std::optional<SystemTime> bound_not_after;
  int cname_status = 0;                     // 0 unknown, 1..4 as APIG
  std::optional<TargetResult> last_result;  // none: never tried
  std::optional<SystemTime> last_attempt;
  std::optional<LastError> last_error;
  int consecutive_failures = 0;
  std::optional<SystemTime> next_attempt;
  std::string failed_sha256;  // fingerprint a non-retryable failure is recorded for
  // verify = true: the bound fingerprint a TLS probe last saw the domain serve, and when.
  // Differs from bound_sha256 until the probe has confirmed the bind.
  std::string verified_sha256;
  std::optional<SystemTime> verified_at;
  // [[notify]]: the certificate on disk an `expiring` notification was sent for (once each).
  std::string expiring_sha256;
  // Counters and times for the metrics textfile (they survive restarts in the state).
  int bind_successes = 0;                  // writes that bound a certificate
  int bind_failures = 0;                   // writes that failed
  std::optional<SystemTime> last_success;  // the last pass that left the target in sync
  std::vector<CreatedCertificate> created;

  bool operator==(const TargetState&) const = default;
};

struct State {
  int version = kStateVersion;
  std::map<std::string, TargetState> targets;  // by target_key()

  bool operator==(const State&) const = default;
};

// The key of a target in State::targets: "binding/instance_id/group_id/domain", or
// "binding/instance_id/group_id/id:domain_id" when `domain` is empty.
std::string target_key(std::string_view binding, std::string_view instance_id,
                       std::string_view group_id, std::string_view domain,
                       std::string_view domain_id);

// Adds `made` to a target's created list unless its ssl_id is already there, then forgets the
// oldest entries beyond max(kMaxCreatedRemembered, keep_previous + 1).
void remember_created(std::vector<CreatedCertificate>& created, CreatedCertificate made,
                      int keep_previous);

// The state as pretty JSON (2-space indent, keys sorted, trailing newline). Fields with their
// default value (empty strings, zeros, absent optionals, no created certificates) are left
// out; times are ISO 8601 UTC strings with whole seconds ("2027-01-31T12:00:00Z"; sub-second
// parts are dropped). Invalid UTF-8 in a string is replaced by U+FFFD rather than failing.
std::string to_json(const State& state);

// Parses what to_json() writes, and the files of earlier versions of apig-certd with the same
// "version" (which wrote every field, and a "bundles" cache that is now ignored). Unknown
// fields are ignored and missing fields keep their defaults; null is the same as missing.
// ParseError when the text is not JSON, when "version" is missing or not kStateVersion, or
// when a field has the wrong type or a time is malformed; the message names the field by its
// path, e.g. `targets["b/i/g/www.example.com"].bound_at: expected an ISO 8601 UTC time string,
// got number`.
Result<State> parse_state(std::string_view text);

}  // namespace apig_certd::state
