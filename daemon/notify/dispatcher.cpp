#include "daemon/notify/dispatcher.h"

#include <algorithm>
#include <array>

#include <unistd.h>

#include "daemon/notify/payload.h"

namespace apig_certd::notify {

namespace {

std::string host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
    return "";
  }
  return buffer.data();
}

std::string describe(const Change& change) {
  const state::TargetState& target = change.target;
  return "'" + std::string(settings::to_string(change.event)) + "' for binding '" + target.binding +
         "' -> " + (target.domain.empty() ? "domain_id " + target.domain_id : target.domain);
}

}  // namespace

Result<std::unique_ptr<Dispatcher>> Dispatcher::create(const settings::Settings& config,
                                                       const Environment& environment,
                                                       const Report& report, RetryPolicy retry) {
  std::vector<Entry> entries;
  for (const settings::NotifySettings& notify : config.notify) {
    WebhookOptions options;
    options.url = notify.url;
    options.ca_file = notify.ca_file.empty() ? config.apig.ca_file : notify.ca_file;
    options.headers_file = notify.headers_file;
    options.retry = retry;
    Result<std::unique_ptr<Webhook>> webhook = Webhook::create(options, environment, report);
    if (!webhook) {
      return fail(std::move(webhook.error())
                      .with_context("[[notify]] at " + settings::to_string(notify.location)));
    }
    entries.push_back({notify.on, std::move(*webhook)});
  }
  return std::unique_ptr<Dispatcher>(new Dispatcher(std::move(entries), host_name()));
}

Dispatcher::~Dispatcher() {
  (void)finish(Duration::zero());
}

std::size_t Dispatcher::send(const std::vector<Change>& changes, SystemTime now) {
  std::size_t queued = 0;
  for (const Change& change : changes) {
    const std::string body = payload_json(change, now, host_);
    for (Entry& entry : entries_) {
      if (std::find(entry.on.begin(), entry.on.end(), change.event) != entry.on.end()) {
        entry.webhook->post({describe(change), body});
        ++queued;
      }
    }
  }
  return queued;
}

std::size_t Dispatcher::finish(Duration patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::size_t left = 0;
  for (Entry& entry : entries_) {
    left += entry.webhook->finish(deadline);
  }
  return left;
}

}  // namespace apig_certd::notify
