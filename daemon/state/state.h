#pragma once

// The state model (DESIGN.md §5): what apig-certd knows about each target between passes,
// saved as {state_dir}/state.json. It holds fingerprints, names, ids, times and results,
// and deliberately has no field that could hold a secret (no key, token or password). The
// bundle cache holds what a certificate file says publicly (BundleFacts) and the stat(2)
// identity of the certificate and key files, never anything read from the key file.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cert/bundle_facts.h"
#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/state/target_result.h"
#include "daemon/sys/file_identity.h"

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

// One binding's bundle as last parsed (engine/bundle_cache.h): the facts, and the identity of
// both files when they were observed, just before they were read. Only entries whose files
// were not racy (sys::is_racy()) when observed are kept.
struct BundleCacheEntry {
  sys::FileIdentity cert_file;
  sys::FileIdentity key_file;
  cert::BundleFacts facts;  // facts.paths: the binding's paths when parsed

  bool operator==(const BundleCacheEntry&) const = default;
};

struct State {
  int version = kStateVersion;
  std::map<std::string, TargetState> targets;  // by target_key()
  // The bundle cache, by binding name. Optional in the file (older ones have none) and
  // forgiving when read: an entry that does not parse is dropped, which only means parsing
  // the files again.
  std::map<std::string, BundleCacheEntry> bundles;

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

// The state as pretty JSON (2-space indent, trailing newline). Keys come in a fixed order
// (the order of the structs above), absent optionals are written as null, times as ISO 8601
// UTC strings with whole seconds ("2027-01-31T12:00:00Z"; sub-second parts are dropped).
// Invalid UTF-8 in a string is replaced by U+FFFD rather than failing.
std::string to_json(const State& state);
// The same text, handed to `write` in pieces of about 64 KiB (whole targets and bundle
// entries), in order: for saving a large state without holding all of its text.
void write_json(const State& state, const std::function<void(std::string_view piece)>& write);

// Parses what to_json() writes. Unknown fields are ignored (a newer apig-certd may add some)
// and missing fields keep their defaults; null is the same as missing. In "bundles" (a cache)
// an entry with any problem is left out instead of failing. ParseError when the
// text is not JSON, when "version" is missing or not kStateVersion, or when a field has the
// wrong type or a time is malformed; the message names the field by its path, e.g.
// `targets["b/i/g/www.example.com"].bound_at: expected an ISO 8601 UTC time string, got number`.
Result<State> parse_state(std::string_view text);

}  // namespace apig_certd::state
