#include "ctl/curl_rest_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace pghalo::ctl {
namespace {

std::once_flag curl_init_once;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // A status document is a few kB; refuse to buffer a runaway answer.
  if (body->size() > 16 * 1024 * 1024) return 0;
  body->append(data, size * count);
  return size * count;
}

struct Handle {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  ~Handle() {
    curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

void set_tls(CURL* curl, const RestClientOptions& options) {
  if (!options.cacert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.cacert.c_str());
  if (!options.certfile.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.certfile.c_str());
    if (!options.keyfile.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, options.keyfile.c_str());
    if (!options.keyfile_password.empty()) {
      curl_easy_setopt(curl, CURLOPT_KEYPASSWD, options.keyfile_password.c_str());
    }
  }
  if (options.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

bool is_tls_error(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

Error transport_error(CURL* curl, CURLcode code, const char* detail, const RestRequest& request) {
  std::string reason = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  std::string where = request.method + " " + request.url + ": ";
  if (code == CURLE_OPERATION_TIMEDOUT) {
    double connected = 0;
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connected);
    if (connected <= 0) {
      return make_error(ErrorCode::kUnavailable, where + "could not connect within the timeout");
    }
    return make_error(ErrorCode::kTimeout,
                      where + "no answer within " + std::to_string(request.timeout.count() / 1000) +
                          " s (the member may still act on it)");
  }
  if (is_tls_error(code)) {
    return make_error(ErrorCode::kUnavailable, where + "TLS failed: " + reason);
  }
  if (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING) {
    return make_error(ErrorCode::kTimeout, where + reason);
  }
  return make_error(ErrorCode::kUnavailable, where + reason);
}

}  // namespace

CurlRestClient::CurlRestClient(RestClientOptions options) : options_(std::move(options)) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<RestResponse> CurlRestClient::send(const RestRequest& request) {
  Handle handle;
  if (handle.curl == nullptr) return make_error(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* curl = handle.curl;
  std::string body;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(options_.connect_timeout, request.timeout).count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "pghaloctl");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body->size()));
    handle.headers = curl_slist_append(handle.headers, "Content-Type: application/json");
  }
  handle.headers = curl_slist_append(handle.headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, handle.headers);
  if (options_.username) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username->c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.value_or("").c_str());
  }
  set_tls(curl, options_);
  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) return transport_error(curl, code, error_buffer, request);
  RestResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(body);
  return response;
}

std::string member_endpoint_url(const std::string& api_url, const std::string& endpoint) {
  auto scheme_end = api_url.find("://");
  std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto path = api_url.find_first_of("/?#", authority);
  std::string base = path == std::string::npos ? api_url : api_url.substr(0, path);
  std::string tail = endpoint;
  if (!tail.empty() && tail.front() == '/') tail.erase(0, 1);
  return base + "/" + tail;
}

}  // namespace pghalo::ctl
