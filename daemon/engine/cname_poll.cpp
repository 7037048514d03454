#include "daemon/engine/cname_poll.h"

#include <algorithm>
#include <map>

#include "daemon/engine/bind.h"
#include "daemon/engine/observe.h"

namespace apig_certd::engine {

namespace {

void take(const apig::Group& group, PolledTarget& item) {
  const apig::UrlDomain* domain = find_domain(group, *item.target);
  if (domain == nullptr) {
    return;
  }
  if (!item.serving_name.empty() && !bound_ssl_id(*domain, item.serving_name)) {
    // Waiting on would be for nothing: the target fails now, the next attempt sees the drift.
    item.lost_to = domain->ssl_name.empty() ? domain->ssl_id : domain->ssl_name;
    return;
  }
  item.cname = domain->cname_status;
}

}  // namespace

int poll_round(const std::vector<PolledTarget*>& targets, WorkerPool& pool) {
  std::map<GroupKey, std::vector<PolledTarget*>> by_group;
  for (PolledTarget* item : targets) {
    if (!item->done()) {
      by_group[{item->target->instance_id, item->target->group_id}].push_back(item);
    }
  }
  std::vector<std::pair<const GroupKey, std::vector<PolledTarget*>>*> groups;
  groups.reserve(by_group.size());
  for (auto& entry : by_group) {
    groups.push_back(&entry);
  }
  pool.run(groups.size(), [&](std::size_t i, apig::Client& client) {
    const GroupKey& key = groups[i]->first;
    const Result<apig::Group> group = client.get_group(key.first, key.second);
    if (group) {
      for (PolledTarget* item : groups[i]->second) {
        take(*group, *item);
      }
    }
  });
  return static_cast<int>(groups.size());
}

int poll_until_done(const std::vector<PolledTarget*>& targets, WorkerPool& pool, RetryBudget& retry,
                    Duration interval) {
  int requests = 0;
  while (std::any_of(targets.begin(), targets.end(),
                     [](const PolledTarget* item) { return !item->done(); }) &&
         retry.wait(interval)) {
    requests += poll_round(targets, pool);
  }
  return requests;
}

}  // namespace apig_certd::engine
