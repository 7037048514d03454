#pragma once

// WebhookReceiver: a loopback HTTPS server that takes apig-certd's notifications in the
// [[notify]] tests. httplib::SSLServer on 127.0.0.1 with a port the kernel picks, a
// certificate made at test time, every request recorded with its headers and body. It can
// answer the next N requests with 500 to make the sender retry.
//
// Header-only because only the integration test binaries link cpp-httplib
// (tests/apig-sim/CMakeLists.txt).

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace apig_certd::testing {

struct ReceivedWebhook {
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int status = 0;  // what the receiver answered
};

class WebhookReceiver {
 public:
  WebhookReceiver(const std::filesystem::path& certificate, const std::filesystem::path& key)
      : server_(certificate.c_str(), key.c_str()) {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      ReceivedWebhook received;
      received.path = request.path;
      for (const auto& [name, value] : request.headers) {
        std::string lower = name;
        for (char& c : lower) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        received.headers[lower] = value;
      }
      received.body = request.body;
      {
        const std::lock_guard lock(mutex_);
        received.status = failures_left_ > 0 ? 500 : 200;
        failures_left_ -= failures_left_ > 0 ? 1 : 0;
        response.status = received.status;
        received_.push_back(std::move(received));
      }
      changed_.notify_all();
      response.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) {
      thread_ = std::thread([this] { server_.listen_after_bind(); });
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  ~WebhookReceiver() {
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;
  WebhookReceiver(WebhookReceiver&&) = delete;
  WebhookReceiver& operator=(WebhookReceiver&&) = delete;

  bool running() const { return port_ > 0 && server_.is_running(); }
  std::string url(const std::string& path = "/hook") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Answers the next `count` requests with 500.
  void fail_next(int count) {
    const std::lock_guard lock(mutex_);
    failures_left_ = count;
  }

  std::vector<ReceivedWebhook> received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }

  // The parsed bodies of the requests answered with 200, in order.
  std::vector<nlohmann::json> delivered() const {
    std::vector<nlohmann::json> bodies;
    for (const ReceivedWebhook& request : received()) {
      if (request.status == 200) {
        bodies.push_back(nlohmann::json::parse(request.body, nullptr, false));
      }
    }
    return bodies;
  }

  // Waits (bounded) until at least `count` requests were answered with 200.
  bool wait_delivered(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      std::size_t delivered = 0;
      for (const ReceivedWebhook& request : received_) {
        delivered += request.status == 200 ? 1 : 0;
      }
      return delivered >= count;
    });
  }

  void clear() {
    const std::lock_guard lock(mutex_);
    received_.clear();
  }

 private:
  httplib::SSLServer server_;
  int port_ = -1;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedWebhook> received_;
  int failures_left_ = 0;
};

}  // namespace apig_certd::testing
