#include "daemon/notify/webhook.h"

#include <algorithm>
#include <cstring>

#include "daemon/core/duration.h"
#include "daemon/core/url.h"
#include "daemon/engine/backoff.h"
#include "daemon/http/curl_transport.h"
#include "daemon/settings/headers_file.h"

namespace apig_certd::notify {

namespace {

using settings::LogLevel;

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

bool is_retryable(const Error& error) {
  return error.code() == ErrorCode::Unavailable || error.code() == ErrorCode::Timeout;
}

// A transport error's text without the webhook's URL, which it quotes ("POST URL: why"):
// the prefix goes, any other mention becomes the label.
std::string without_url(std::string text, std::string_view url, std::string_view label) {
  const std::string shown = http::redact_url(url);
  if (const std::string prefix = "POST " + shown + ": "; text.starts_with(prefix)) {
    text.erase(0, prefix.size());
  }
  for (std::size_t at = text.find(shown); !shown.empty() && at != std::string::npos;
       at = text.find(shown, at + label.size())) {
    text.replace(at, shown.size(), label);
  }
  return text;
}

}  // namespace

std::string webhook_label(std::string_view url) {
  const Result<Url> parsed = parse_url(url);
  if (!parsed) {
    return "(webhook)";
  }
  const bool ipv6 = parsed->host.find(':') != std::string::npos;
  return parsed->scheme + "://" + (ipv6 ? "[" + parsed->host + "]" : parsed->host) +
         (parsed->port.empty() ? "" : ":" + parsed->port);
}

Result<std::unique_ptr<Webhook>> Webhook::create(WebhookOptions options,
                                                 const Environment& environment, Report report) {
  std::unique_ptr<Webhook> webhook(new Webhook(std::move(options), environment, std::move(report)));
  http::TransportOptions transport;
  transport.ca_file = webhook->options_.ca_file;
  transport.connect_timeout =
      std::min<Duration>(webhook->options_.timeout, std::chrono::seconds(5));
  transport.timeout = webhook->options_.timeout;
  transport.allow_http = http::AllowHttp::LoopbackOnly;  // the loader allows http to loopback only
  transport.max_response_bytes = std::size_t{64} * 1024;
  transport.abort = &webhook->abort_;
  Result<std::unique_ptr<http::CurlTransport>> made = http::CurlTransport::create(transport);
  if (!made) {
    return fail(std::move(made.error()).with_context("webhook " + webhook->label_));
  }
  webhook->transport_ = std::move(*made);
  webhook->worker_ = std::thread([raw = webhook.get()] { raw->work(); });
  return webhook;
}

Webhook::Webhook(WebhookOptions options, const Environment& environment, Report report)
    : options_(std::move(options)),
      environment_(environment),
      report_(std::move(report)),
      label_(webhook_label(options_.url)),
      random_(std::random_device{}()) {}

Webhook::~Webhook() {
  (void)finish(std::chrono::steady_clock::now());
}

void Webhook::post(Notification notification) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    queue_.push_back(std::move(notification));
  }
  changed_.notify_all();
}

std::size_t Webhook::finish(std::chrono::steady_clock::time_point deadline) {
  std::size_t left = 0;
  {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [this] { return queue_.empty() && !busy_; });
    left = queue_.size() + (busy_ ? 1 : 0);
    stopping_ = true;
    queue_.clear();
  }
  abort_ = true;
  changed_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
  return left;
}

void Webhook::work() {
  while (true) {
    Notification next;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      next = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    deliver(next);
    {
      const std::lock_guard lock(mutex_);
      busy_ = false;
    }
    changed_.notify_all();
  }
}

bool Webhook::sleep_for(Duration delay) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [this] { return stopping_; });
}

void Webhook::deliver(const Notification& notification) {
  const std::string prefix = "notification " + notification.what + " to " + label_ + ": ";
  for (int attempt = 1;; ++attempt) {
    http::Request request;
    request.method = "POST";
    request.url = options_.url;
    request.timeout = options_.timeout;
    request.headers.push_back({"Content-Type", "application/json"});
    if (!options_.headers_file.empty()) {
      Result<std::vector<settings::HeaderLine>> headers =
          settings::read_headers_file(options_.headers_file, environment_);
      if (!headers) {
        report_(LogLevel::Warn, prefix + "not sent: " + headers.error().to_string());
        return;
      }
      for (const settings::HeaderLine& header : *headers) {
        request.headers.push_back({header.name, std::string(header.value.view())});
      }
    }
    request.body = Secret(notification.body);
    Result<http::Response> response = transport_->send(request);
    for (http::Header& header : request.headers) {
      ::explicit_bzero(header.value.data(), header.value.size());
    }
    std::string problem;
    bool retryable = false;
    if (response && response->status >= 200 && response->status < 300) {
      report_(LogLevel::Debug, prefix + "delivered (HTTP " + std::to_string(response->status) +
                                   ", attempt " + std::to_string(attempt) + ")");
      return;
    }
    if (response) {
      problem = "HTTP " + std::to_string(response->status);
      retryable = is_retryable_status(response->status);
    } else {
      problem = without_url(response.error().to_string(), options_.url, label_);
      retryable = is_retryable(response.error());
    }
    if (abort_ || !retryable || attempt >= options_.retry.attempts) {
      report_(LogLevel::Warn, prefix + "not delivered (" + problem + "); giving up after " +
                                  std::to_string(attempt) + " attempt(s)");
      return;
    }
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    const Duration delay =
        engine::backoff_delay(attempt - 1, options_.retry.initial, options_.retry.max, unit);
    report_(LogLevel::Debug, prefix + problem + "; retrying in " + format_duration(delay));
    if (!sleep_for(delay)) {
      report_(LogLevel::Warn, prefix + "not delivered (" + problem + "); stopped retrying");
      return;
    }
  }
}

}  // namespace apig_certd::notify
