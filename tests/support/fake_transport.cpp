// FakeTransport: scripted responses, recorded requests. An unscripted request is a test bug
// and answers Internal with a message that says so.

#include "tests/support/fake_transport.h"

#include "daemon/core/ascii.h"

namespace apig_certd::testing {

std::string RecordedRequest::header(std::string_view name) const {
  for (const http::Header& entry : headers) {
    if (equals_ignoring_case(entry.name, name)) {
      return entry.value;
    }
  }
  return {};
}

void FakeTransport::respond(long status, std::string body, std::vector<http::Header> headers) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  script_.emplace_back(std::move(response));
}

void FakeTransport::fail_with(Error error) {
  script_.emplace_back(tl::unexpected<Error>(std::move(error)));
}

Result<http::Response> FakeTransport::send(const http::Request& request) {
  requests_.push_back(
      {request.method, request.url, request.headers, std::string(request.body.view())});
  if (script_.empty()) {
    return fail(ErrorCode::Internal,
                "FakeTransport: no scripted response for " + request.method + " " + request.url);
  }
  Result<http::Response> next = std::move(script_.front());
  script_.pop_front();
  return next;
}

}  // namespace apig_certd::testing
