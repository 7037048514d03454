#pragma once

// The planner: DESIGN.md §4 steps 1-8 as a pure function. Observations, the state, the
// settings and the clock go in; one decision per target comes out, with the reason in
// words. No I/O, no randomness: `sync --dry-run` prints exactly this, and the executor
// carries it out.

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/engine/observation.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

enum class Action {
  None,         // In sync: nothing to write.
  Bind,         // POST the certificate to the domain (creates and binds a certificate object).
  Update,       // PUT the certificate over the bound object (strategy "update"): no gap.
  Attach,       // Attach the binding's object for this instance, created once (strategy "attach").
  Skip,         // Cannot act (invalid bundle, domain missing, APIG unreadable): a failure.
  Refuse,       // The downgrade guard: the bound certificate expires later. A failure.
  ReportDrift,  // Bound certificate is not ours and drift = "report". A failure.
  Wait,         // Daemon only: a retry or a failed fingerprint is not due yet.
};

std::string_view to_string(Action action);

enum class PlanMode {
  Sync,    // An operator asked: retry failed fingerprints now, ignore backoff.
  Daemon,  // Respect next_attempt and the failed-fingerprint hold.
};

struct PlanOptions {
  PlanMode mode = PlanMode::Sync;
  bool force = false;  // Bind even when in sync; override the downgrade guard. Never validity.
};

// One target's inputs. Pointers are borrowed for the duration of plan().
// How a refused POST (APIG.2051: the slot of our key's algorithm is taken) makes room.
enum class MakeRoom {
  // A certificate apig-certd created (the state lists it) and an instance object:
  // DELETE .../domains/{domain_id}/certificate/{id} unbinds and deletes it.
  Delete,
  // Any other (not ours, or global and perhaps serving other domains):
  // POST .../domains/{domain_id}/certificates/detach unbinds it from this domain only.
  Detach,
  // Not ours and drift = "report": the write fails, saying what is bound.
  Refuse,
};

struct TargetInput {
  const settings::BindingSettings* binding = nullptr;
  const settings::TargetSettings* target = nullptr;
  const DiskObservation* disk = nullptr;      // shared by the binding's targets
  std::optional<std::string> domain_problem;  // the certificate does not cover the domain
  RemoteObservation remote;
  const state::TargetState* state = nullptr;  // nullptr: never seen before
};

struct TargetPlan {
  std::string key;  // state::target_key()
  Action action = Action::None;
  std::string reason;            // one line for people
  bool failure = false;          // counts as a failed target (exit 1)
  bool retryable = false;        // for failures: worth retrying without a change (transient)
  std::string certificate_name;  // the desired name (when the bundle is valid)
  std::string sha256;            // the desired fingerprint
  // The certificate bound now, if any: what Update rewrites, and what a refused second bind
  // deletes before posting again.
  std::string bound_ssl_id;
  std::string bound_name;
  bool bound_is_ours = false;  // apig-certd created it (state) or it carries our name prefix
  MakeRoom make_room = MakeRoom::Refuse;   // what a refused POST does with it (bind.h)
  bool repairs_drift = false;              // ours was replaced behind our back: binding it again
  std::vector<std::string> warnings;       // expiry within renew_warning, load warnings
  std::optional<SystemTime> next_attempt;  // for Wait
};

struct PlanInput {
  const settings::Settings* settings = nullptr;
  std::vector<TargetInput> targets;
  SystemTime now{};
  PlanOptions options;
};

std::vector<TargetPlan> plan(const PlanInput& input);

// How messages name a target: its domain, or "domain_id ID" when only the id is configured.
std::string target_label(const settings::TargetSettings& target);

// True when `name` was made by make_certificate_name() with the same prefix as `desired`
// (both end in "_YYYYMMDD_hhhhhhhh").
bool same_name_prefix(std::string_view name, std::string_view desired);

// The notAfter date encoded in one of our names ("..._20270131_abcdef01"), as that UTC day's
// start; nullopt for names that are not ours.
std::optional<SystemTime> date_from_name(std::string_view name);

}  // namespace apig_certd::engine
