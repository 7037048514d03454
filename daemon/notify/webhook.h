#pragma once

// Webhook: delivers notifications to one [[notify]] URL from a thread of its own, so neither
// a pass nor the event loop ever waits for a webhook. post() only queues. The worker sends
// one JSON POST per notification, in order, with the headers of `headers_file` (read again
// for every delivery, so a rotated token is picked up), and retries transient failures
// (connection errors, timeouts, 408, 429, 5xx) with exponential backoff and full jitter. A
// 4xx answer, an untrusted certificate or an unreadable headers file is not retried.
//
// Every outcome goes to the Report callback, from the worker thread: delivered (debug), a
// retry (debug), given up (warn). Messages name the webhook by scheme, host and port only:
// webhook URLs often carry a token in their path or query.
//
// finish() waits, bounded, for the queue to empty, then cuts off what is left (a request in
// flight within about a second) and joins the thread.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "daemon/core/duration.h"
#include "daemon/core/environment.h"
#include "daemon/core/result.h"
#include "daemon/http/transport.h"
#include "daemon/settings/settings.h"

namespace apig_certd::notify {

struct RetryPolicy {
  Duration initial = std::chrono::milliseconds(500);
  Duration max = std::chrono::seconds(30);
  int attempts = 6;  // in all, the first one included
};

using Report = std::function<void(settings::LogLevel level, const std::string& message)>;

struct WebhookOptions {
  std::string url;
  std::filesystem::path ca_file;       // extra trusted CAs ([[notify]] ca_file or apig.ca_file)
  std::filesystem::path headers_file;  // empty: no extra headers
  RetryPolicy retry;
  Duration timeout = std::chrono::seconds(10);  // per request
};

// One queued notification.
struct Notification {
  std::string what;  // "'bound' for binding 'site' -> www.example.com", for messages
  std::string body;  // the JSON payload
};

// "https://host:port" of `url`: how messages name a webhook.
std::string webhook_label(std::string_view url);

class Webhook {
 public:
  // Makes the transport (InvalidArgument/NotFound... when ca_file cannot be read) and starts
  // the worker. `environment` and `report` must outlive the Webhook.
  static Result<std::unique_ptr<Webhook>> create(WebhookOptions options,
                                                 const Environment& environment, Report report);
  ~Webhook();
  Webhook(const Webhook&) = delete;
  Webhook& operator=(const Webhook&) = delete;
  Webhook(Webhook&&) = delete;
  Webhook& operator=(Webhook&&) = delete;

  // Queues a notification; never blocks on the network.
  void post(Notification notification);

  // Waits until everything queued was delivered or given up, or `deadline` passes; then
  // stops the worker. Returns how many notifications were left undelivered.
  std::size_t finish(std::chrono::steady_clock::time_point deadline);

  [[nodiscard]] const std::string& label() const { return label_; }

 private:
  Webhook(WebhookOptions options, const Environment& environment, Report report);
  void work();
  void deliver(const Notification& notification);
  // Sleeps `delay` unless stopped first; false when stopped.
  bool sleep_for(Duration delay);

  WebhookOptions options_;
  const Environment& environment_;
  Report report_;
  std::string label_;
  std::atomic<bool> abort_{false};  // cuts off a request in flight (read by curl's callback)
  std::unique_ptr<http::Transport> transport_;
  std::mt19937_64 random_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Notification> queue_;
  bool busy_ = false;      // the worker is delivering one
  bool stopping_ = false;  // finish() gave up waiting: drop the rest
  std::thread worker_;
};

}  // namespace apig_certd::notify
