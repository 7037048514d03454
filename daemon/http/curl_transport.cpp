// libcurl behind the Transport interface.
//
// One easy handle lives as long as the transport, so keep-alive connections and TLS sessions
// are reused across APIG calls. The handle sits behind a pointer (Handle) because curl keeps
// pointers into our buffers (error buffer, response sink) between setopt and perform: the
// object those pointers aim at never moves (the cpr hazard in STYLE.md).
//
// Security settings are fixed here, not configurable: peer and host verification stay at
// curl's defaults (on); the allowed protocols are https only, plus http for a loopback host
// when the config explicitly asks for it; redirects are not followed (an APIG endpoint never
// redirects, and following one would send signed headers elsewhere). Trust is a TrustStore
// (the system bundle plus an optional extra CA file, parsed once and shared by every
// transport of a session), installed into each connection's SSL_CTX. Proxies come from the standard
// environment variables, which libcurl reads itself (https_proxy, no_proxy).
//
// The response body is capped: a hostile or broken server cannot make us allocate more than
// max_response_bytes. Every error names the curl code and text and the URL without its query.

#include "daemon/http/curl_transport.h"

#include <array>
#include <utility>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "daemon/core/fn_deleter.h"
#include "daemon/core/url.h"

namespace apig_certd::http {

namespace {

using CurlPtr = std::unique_ptr<CURL, FnDeleter<curl_easy_cleanup>>;
using SlistPtr = std::unique_ptr<curl_slist, FnDeleter<curl_slist_free_all>>;

ErrorCode classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorCode::Timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return ErrorCode::PermissionDenied;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return ErrorCode::InvalidArgument;
    case CURLE_FILESIZE_EXCEEDED:
      return ErrorCode::ParseError;
    default:
      // Connection refused or reset, DNS, send/receive errors, TLS handshake cut: transient.
      return ErrorCode::Unavailable;
  }
}

struct Sink {
  std::string* body = nullptr;
  std::vector<Header>* headers = nullptr;
  std::size_t limit = 0;
  bool overflowed = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflowed = true;
    return 0;  // Makes curl stop with CURLE_WRITE_ERROR.
  }
  sink->body->append(data, bytes);
  return bytes;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    sink->headers->clear();  // A new response (e.g. after 100 Continue) starts over.
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && sink->headers->size() < 200) {
    sink->headers->push_back({trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  }
  return bytes;
}

// CURLOPT_XFERINFOFUNCTION: a non-zero return aborts the transfer.
int abort_requested(void* flag, curl_off_t /*download_total*/, curl_off_t /*downloaded*/,
                    curl_off_t /*upload_total*/, curl_off_t /*uploaded*/) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

// CURLOPT_SSL_CTX_FUNCTION: every new connection's SSL_CTX verifies against the shared
// store (SSL_CTX_set1_cert_store takes a reference; the one curl made is released).
CURLcode install_trust_store(CURL* /*easy*/, void* ssl_ctx, void* store) {
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), static_cast<X509_STORE*>(store));
  return CURLE_OK;
}

}  // namespace

struct CurlTransport::Handle {
  CurlPtr easy;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
};

CurlGlobal::CurlGlobal() : ok_(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {}

CurlGlobal::~CurlGlobal() {
  if (ok_) {
    curl_global_cleanup();
  }
}

Result<std::unique_ptr<CurlTransport>> CurlTransport::create(TransportOptions options) {
  if (!options.trust) {
    Result<std::shared_ptr<const TrustStore>> trust = TrustStore::load(options.ca_file);
    if (!trust) {
      return fail(std::move(trust.error()));
    }
    options.trust = std::move(*trust);
  }
  auto handle = std::make_unique<Handle>();
  handle->easy.reset(curl_easy_init());
  if (!handle->easy) {
    return fail(ErrorCode::Internal, "curl_easy_init failed");
  }
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(options), std::move(handle)));
}

CurlTransport::CurlTransport(TransportOptions options, std::unique_ptr<Handle> handle)
    : options_(std::move(options)), handle_(std::move(handle)) {}

CurlTransport::~CurlTransport() = default;

Result<Response> CurlTransport::send(const Request& request) {
  const std::string shown_url = redact_url(request.url);
  const bool is_http = request.url.starts_with("http://");
  if (is_http) {
    const Result<Url> url = parse_url(request.url);
    if (options_.allow_http != AllowHttp::LoopbackOnly || !url || !is_loopback_host(url->host)) {
      return fail(ErrorCode::InvalidArgument,
                  "refusing plain http to '" + shown_url +
                      "': only https is allowed (http only with insecure_http = true and a "
                      "loopback host)");
    }
  } else if (!request.url.starts_with("https://")) {
    return fail(ErrorCode::InvalidArgument, "unsupported URL scheme in '" + shown_url + "'");
  }

  CURL* easy = handle_->easy.get();
  curl_easy_reset(easy);  // Keeps the connection cache; clears options of the last request.
  handle_->error_buffer.fill('\0');

  Response response;
  Sink sink{&response.body, &response.headers, options_.max_response_bytes, false};
  SlistPtr header_list;
  curl_slist* raw_list = nullptr;
  const auto add_header = [&](const std::string& line) {
    curl_slist* appended = curl_slist_append(raw_list, line.c_str());
    if (appended != nullptr) {
      raw_list = appended;
    }
  };
  for (const Header& header : request.headers) {
    add_header(header.name + ": " + header.value);
  }
  add_header("Expect:");  // No 100-continue round trip before a POST body.
  header_list.reset(raw_list);

  const Duration timeout = request.timeout > Duration::zero() ? request.timeout : options_.timeout;
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, is_http ? "http" : "https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, handle_->error_buffer.data());
  // Duration's rep is int64_t, which is long on our LP64 targets: what curl wants.
  const long connect_timeout_ms = options_.connect_timeout.count();
  const long timeout_ms = timeout.count();
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  // No CA file or directory for curl to parse per connection: the shared store instead.
  curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);
  curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, install_trust_store);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, options_.trust->get());
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method != "DELETE") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.view().data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  if (options_.abort != nullptr) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, abort_requested);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, options_.abort);
  }

  const CURLcode code = curl_easy_perform(easy);
  // Forget pointers into this call's locals before anything else can use the handle.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) {
    if (sink.overflowed || code == CURLE_FILESIZE_EXCEEDED) {
      return fail(ErrorCode::ParseError,
                  request.method + " " + shown_url + ": response larger than " +
                      std::to_string(options_.max_response_bytes) + " bytes, refused");
    }
    std::string detail = handle_->error_buffer.data();
    if (detail.empty()) {
      detail = curl_easy_strerror(code);
    }
    return fail(classify(code), request.method + " " + shown_url + ": " + detail + " (curl " +
                                    std::to_string(static_cast<int>(code)) + ")");
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace apig_certd::http
