#pragma once

// One target's write as a small explicit state machine (DESIGN.md §4 steps 6-7):
//
//   Send ──ok──────────────────────────────────────────────> Done
//    │ APIG.2051 (the domain has a certificate) ──> Refused
//    │ transient error ──> BackOff ──> (outcome unknown or replicas ? ReRead : Send)
//    │ other error ──> Failed
//   Refused: after an unknown outcome or with replicas, ReRead first (ours bound -> Done);
//            nothing bound to make room from -> Failed; MakeRoom::Refuse (not ours,
//            drift = "report") -> Failed; else MakeRoom
//   MakeRoom: DELETE the bound certificate (ours: unbinds and deletes it) or detach it (any
//            other: the object and its other domains stay); 404: already gone -> Send again
//   ReRead: the group shows our certificate bound -> Done (written once); else Send
//   Attach (strategy "attach", instead of Send): attach the binding's object (certificate_object.h)
//            -> Detach the certificate it supersedes (kept with MakeRoom::Refuse; 404: the
//            attach replaced it) -> Done; APIG.2051 -> Refused as for Send, making room by
//            detaching; a detach that keeps failing only warns: ours is bound
//   Update (strategy "update"): GET our bound object, PUT it back with its own type,
//            instance and algorithm -> Done; 404 -> Send (bind afresh), or Failed on an mTLS
//            domain (a bind cannot carry the CA); transient -> BackOff -> Update (a PUT is
//            idempotent: no re-read)
//
// A write whose outcome is unknown (timeout, cut connection, 5xx) may have happened, so it is
// never sent again before a re-read shows it did not: a renewal is written once. The machine
// never edits the plan: it returns what happened. All waiting goes through the RetryBudget,
// so a unit test drives every edge with a fake transport and a fake clock.

#include <optional>
#include <string>
#include <vector>

#include "daemon/apig/client.h"
#include "daemon/core/error.h"
#include "daemon/engine/plan.h"
#include "daemon/engine/retry.h"
#include "daemon/settings/settings.h"

namespace apig_certd::engine {

struct BindJob {
  const settings::TargetSettings* target = nullptr;
  std::string domain_id;
  std::string certificate_name;  // the desired name
  std::string bound_ssl_id;      // what the plan saw bound ("" for nothing)
  std::string bound_name;
  bool update = false;  // PUT over bound_ssl_id instead of POST (strategy "update")
  MakeRoom make_room = MakeRoom::Refuse;  // what a refused POST does with bound_ssl_id
  bool replicas = false;                  // other instances may write: re-read before every retry
  // The domain verifies client certificates: no write may leave it without the CA
  // (upload.trusted_root_ca), so no fallback to a bind.
  bool client_verification = false;
  // Strategy "attach": the certificate object to attach (certificate_object.h) instead of
  // POSTing the upload; empty for a bind or update.
  std::string attach_id;
};

struct BindResult {
  bool written = false;
  std::string ssl_id;      // of the certificate now bound
  std::string bound_name;  // its name
  apig::CnameStatus cname = apig::CnameStatus::Unknown;
  std::optional<Error> error;         // why not written
  std::vector<std::string> deleted;   // certificates deleted with their binding
  std::vector<std::string> detached;  // certificates unbound from the domain, not deleted
  std::vector<std::string> warnings;  // written, but something around it failed
  // The certificates bound to the domain's other port entries (one-step binds create one
  // object per entry), recorded as ours beside ssl_id.
  std::vector<std::string> entry_ssl_ids;
  int requests = 0;  // API requests made
  int writes = 0;    // of which writes
};

// Carries out `job` with `upload` (the bundle's PEM material) on `client`.
BindResult run_bind(const BindJob& job, const apig::CertificateUpload& upload, apig::Client& client,
                    RetryBudget& retry);

// The domain of `group` that `target` names (by domain_id when configured, else by name).
const apig::UrlDomain* find_domain(const apig::Group& group,
                                   const settings::TargetSettings& target);

// The ssl_id of the certificate named `name` when it is bound to `domain` (ssl_id/ssl_name or
// ssl_infos); nullopt when it is not bound.
std::optional<std::string> bound_ssl_id(const apig::UrlDomain& domain, std::string_view name);

}  // namespace apig_certd::engine
