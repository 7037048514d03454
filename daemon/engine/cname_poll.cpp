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
  if (!item.serving_name.empty()) {
    std::optional<std::string> ssl_id = bound_ssl_id(*domain, item.serving_name);
    if (!ssl_id) {
      // Waiting on would be for nothing: the target fails now, the next attempt sees the drift.
      item.lost_to = domain->ssl_name.empty() ? domain->ssl_id : domain->ssl_name;
      return;
    }
    item.serving_ssl_id = std::move(*ssl_id);
    item.confirmed = true;
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

bool awaits_cname(const state::TargetState& target, Duration poll_timeout, SystemTime now) {
  const bool resolving = target.cname_status == static_cast<int>(apig::CnameStatus::NotResolved) ||
                         target.cname_status == static_cast<int>(apig::CnameStatus::Resolving);
  return resolving && target.bound_at && now < *target.bound_at + poll_timeout;
}

std::vector<CnameCheck> cname_checks(const settings::Settings& config, const state::State& state,
                                     const std::set<std::string>& bindings, SystemTime now) {
  std::vector<CnameCheck> checks;
  for (const settings::BindingSettings& binding : config.bindings) {
    if (!bindings.contains(binding.name)) {
      continue;
    }
    for (const settings::TargetSettings& target : binding.targets) {
      const auto entry = state.targets.find(state::target_key(
          binding.name, target.instance_id, target.group_id, target.domain, target.domain_id));
      if (target.require_resolved && entry != state.targets.end() &&
          awaits_cname(entry->second, config.poll.timeout, now)) {
        const auto recorded = static_cast<apig::CnameStatus>(entry->second.cname_status);
        checks.push_back(
            {binding.name, recorded, {&target, entry->second.bound_name, recorded, {}, {}, false}});
      }
    }
  }
  return checks;
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
