#pragma once

// Dispatcher: the [[notify]] entries of a config, each a Webhook with its `on` filter. The
// app hands it the changes of a pass (changes.h); it turns each into a payload (payload.h)
// and queues it for every webhook that listens for that event. Nothing here blocks on the
// network except finish(), which is bounded.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/core/result.h"
#include "daemon/notify/changes.h"
#include "daemon/notify/webhook.h"
#include "daemon/settings/settings.h"

namespace apig_certd::notify {

class Dispatcher {
 public:
  // One Webhook per [[notify]] entry; a webhook without its own ca_file trusts apig.ca_file.
  // Errors name the entry by its config location. `environment` and `report` must outlive
  // the Dispatcher.
  static Result<std::unique_ptr<Dispatcher>> create(const settings::Settings& config,
                                                    const Environment& environment,
                                                    const Report& report, RetryPolicy retry = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  Dispatcher(Dispatcher&&) = delete;
  Dispatcher& operator=(Dispatcher&&) = delete;

  // Queues one notification per change and listening webhook; returns how many were queued.
  std::size_t send(const std::vector<Change>& changes, SystemTime now);

  // Waits at most `patience` for every webhook to deliver what is queued, then stops them.
  // Returns how many notifications were left undelivered.
  std::size_t finish(Duration patience);

 private:
  struct Entry {
    std::vector<NotifyEvent> on;
    std::unique_ptr<Webhook> webhook;
  };
  Dispatcher(std::vector<Entry> entries, std::string host)
      : entries_(std::move(entries)), host_(std::move(host)) {}

  std::vector<Entry> entries_;
  std::string host_;
};

}  // namespace apig_certd::notify
