#pragma once

// The CNAME poll, the one implementation `sync` and `run` share: after a bind, the domain's
// CNAME status is read until it is resolved (3) or failed (4). One read of a group serves all
// its domains. While it waits, the domain may stop serving our certificate (a console user,
// another tool): the poll then stops for that target and says what the domain serves instead.

#include <optional>
#include <string>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/engine/retry.h"
#include "daemon/engine/worker_pool.h"
#include "daemon/settings/settings.h"

namespace apig_certd::engine {

struct PolledTarget {
  const settings::TargetSettings* target = nullptr;
  std::string serving_name;  // the certificate it should serve
  apig::CnameStatus cname = apig::CnameStatus::Unknown;
  // Set when a read found the domain no longer serving it: what it serves ("" for nothing).
  std::optional<std::string> lost_to;

  [[nodiscard]] bool done() const {
    return lost_to || cname == apig::CnameStatus::Resolved || cname == apig::CnameStatus::Failed;
  }
};

// One round: the group of every target not done is read once (a failed read is skipped: the
// next round reads again), and the targets take what it says. Returns the requests made.
int poll_round(const std::vector<PolledTarget*>& targets, WorkerPool& pool);

// Rounds every `interval` until every target is done, the budget's deadline would pass, or
// the daemon stops. Returns the requests made.
int poll_until_done(const std::vector<PolledTarget*>& targets, WorkerPool& pool, RetryBudget& retry,
                    Duration interval);

}  // namespace apig_certd::engine
