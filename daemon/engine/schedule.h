#pragma once

// The daemon's scheduler as a pure function: given what is pending, the state and the clock,
// which bindings are due for a pass now, and when the next one is due.
//
// Two timelines. What the daemon itself times (the debounce, the rescan, CNAME polls after a
// pass) is monotonic, so setting the wall clock never delays or hastens it. What the state
// holds as wall-clock time (a retry's next_attempt, a certificate's expiry edges) becomes a
// monotonic deadline at each call: monotonic_now + (deadline - now). When the wall clock is
// set, the daemon calls again (its realtime timerfd notices the change) and the deadline moves.
//
// A binding is due at the earliest of:
//   - a file change, once the debounce has passed (the caller passes the debounced time);
//   - a target's next_attempt (a retry after a failure, on the backoff schedule);
//   - a CNAME poll found a status or a certificate the state does not record yet.
// A binding is due for a CNAME poll (`polls`: a read of its groups, not a pass; cname_poll.h)
// when a target bound within poll.timeout awaits its CNAME, every poll.interval after the
// binding's last pass or poll (later, rescan_interval keeps checking it), unless it is due for
// a pass anyway.
//   - an expiry edge: the moment its certificate enters renew_warning, and the moment it
//     expires (each once, when it lies after the binding's last pass);
//   - the full rescan (every binding), every rescan_interval.
// Nothing else wakes the daemon: with nothing due, next is the rescan. While a binding's
// files are changing (its debounce has not ended), nothing else makes it due: the pass waits
// for the quiet, so it never reads a bundle in the middle of an ACME client's writes.
//
// A file change is acted on after the debounce plus a random delay in [0, daemon.jitter]
// (change_delay): replicas watching the same files then act one after the other, and the
// later ones find the certificate bound (reconciler.cpp: the re-read before a write).

#include <map>
#include <optional>
#include <set>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

// When a binding's last pass ended, on both timelines: CNAME polls count from `monotonic`
// (which a poll moves too); an expiry edge is pending while it lies after `wall` (the pass
// did not see it yet).
struct PassTime {
  MonotonicTime monotonic{};
  SystemTime wall{};
};

struct ScheduleInput {
  const settings::Settings* settings = nullptr;
  const state::State* state = nullptr;
  SystemTime now{};
  MonotonicTime monotonic_now{};
  MonotonicTime next_rescan{};
  std::map<std::string, MonotonicTime> file_changes;  // binding -> when its debounce ends
  std::map<std::string, PassTime> last_pass;  // binding -> when its last pass (or poll) ended
  std::set<std::string> cname_changed;        // bindings a CNAME poll found changed
};

struct Schedule {
  bool rescan = false;                // every binding is due (rescan_interval passed)
  std::set<std::string> due;          // bindings due now (all of them when rescan)
  std::set<std::string> files;        // of which due because of a file change
  std::set<std::string> polls;        // bindings due for a CNAME poll only (not in `due`)
  std::optional<MonotonicTime> next;  // the next deadline after monotonic_now
  std::string next_reason;            // "rescan", "file change of 'x'", "retry of 'x'", ...
};

Schedule schedule(const ScheduleInput& input);

// How long an idle keep-alive connection is worth keeping: servers close theirs after about a
// minute (nginx's default keepalive_timeout is 75 s), so a connection kept longer is mostly
// dead when the next request comes.
inline constexpr Duration kIdleConnectionsWorthKeeping = std::chrono::seconds(60);

// Whether the daemon, going to sleep until `next` (none: until an event), keeps its idle API
// clients (their keep-alive connections) and key decoders for the next pass or CNAME poll.
// Kept only when that comes within kIdleConnectionsWorthKeeping; otherwise their memory is
// given back (about 0.7 MiB with 1,000 bindings) and the next pass connects anew.
bool keep_idle_clients(std::optional<MonotonicTime> next, MonotonicTime monotonic_now);

// How long after a file event its binding's pass is due: `debounce`, plus
// floor(unit_random * jitter) with `unit_random` in [0, 1] (clamped). Pure: the caller draws
// the randomness, so tests pass it in. jitter 0 gives exactly the debounce.
Duration change_delay(Duration debounce, Duration jitter, double unit_random);

}  // namespace apig_certd::engine
