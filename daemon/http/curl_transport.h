#pragma once

// CurlTransport: Transport over libcurl's easy interface, one handle reused for every
// request so connections (and TLS sessions) are kept alive between calls.
//
// Not thread-safe: each worker thread owns its own CurlTransport. CurlGlobal must be alive
// (created in main before any thread) for as long as any CurlTransport is used.

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "daemon/http/transport.h"
#include "daemon/http/trust_store.h"

namespace apig_certd::http {

// curl_global_init / curl_global_cleanup as a scope guard for main.
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  CurlGlobal(CurlGlobal&&) = delete;
  CurlGlobal& operator=(CurlGlobal&&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

enum class AllowHttp { No, LoopbackOnly };

struct TransportOptions {
  // Extra trusted CA certificates (PEM), added to the system's trust store, never replacing it.
  // Read by create() only when `trust` is not given.
  std::filesystem::path ca_file;
  // The trust store to share with other transports (TrustStore::load(ca_file)); create()
  // loads one when null.
  std::shared_ptr<const TrustStore> trust;
  Duration connect_timeout = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(30);  // Per request unless the request says otherwise.
  AllowHttp allow_http = AllowHttp::No;
  std::size_t max_response_bytes = std::size_t{4} * 1024 * 1024;
  std::string user_agent = "apig-certd";
  // When set and it becomes true, a request in flight is cut off (checked about once a
  // second by curl's progress callback) and fails as Unavailable. The daemon sets it when its
  // shutdown grace runs out; the flag must outlive the transport.
  const std::atomic<bool>* abort = nullptr;
};

class CurlTransport final : public Transport {
 public:
  // Fails (NotFound/PermissionDenied/ParseError) when ca_file cannot be read, or Internal when
  // curl cannot make a handle.
  static Result<std::unique_ptr<CurlTransport>> create(TransportOptions options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  CurlTransport(CurlTransport&&) = delete;
  CurlTransport& operator=(CurlTransport&&) = delete;

  Result<Response> send(const Request& request) override;

 private:
  struct Handle;
  CurlTransport(TransportOptions options, std::unique_ptr<Handle> handle);

  TransportOptions options_;  // options_.trust is always set.
  std::unique_ptr<Handle> handle_;
};

}  // namespace apig_certd::http
