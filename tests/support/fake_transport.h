#pragma once

// FakeTransport: an http::Transport that records every request and answers from a script.
// For unit tests of code above the transport (the APIG client, IAM token fetching). The
// recorded bodies are copies made on purpose; tests that check secrets stay out of logs use
// the real transport against apig-sim instead.

#include <deque>
#include <string>
#include <vector>

#include "daemon/http/transport.h"

namespace apig_certd::testing {

struct RecordedRequest {
  std::string method;
  std::string url;
  std::vector<http::Header> headers;
  std::string body;

  std::string header(std::string_view name) const;
};

class FakeTransport final : public http::Transport {
 public:
  // Queues a response (status, body, headers) for the next request.
  void respond(long status, std::string body, std::vector<http::Header> headers = {});
  // Queues a transport error for the next request.
  void fail_with(Error error);

  Result<http::Response> send(const http::Request& request) override;

  const std::vector<RecordedRequest>& requests() const { return requests_; }

 private:
  std::deque<Result<http::Response>> script_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace apig_certd::testing
