#include "dcs/etcd/curl_session.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>

namespace pghalo::dcs::etcd {
namespace {

struct Transfer {
  const HttpRequest* request;
  const SocketSettings* socket;
  std::string body;
  bool stopped_by_callback = false;
  bool idle_expired = false;
  curl_off_t received = 0;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
};

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->request->on_data) {
    if (!transfer->request->on_data(std::string_view(data, bytes))) {
      transfer->stopped_by_callback = true;
      return 0;  // makes curl end the transfer
    }
    return bytes;
  }
  transfer->body.append(data, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t received, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->request->stop && transfer->request->stop->load()) {
    transfer->stopped_by_callback = true;
    return 1;
  }
  auto now = std::chrono::steady_clock::now();
  if (received != transfer->received) {
    transfer->received = received;
    transfer->last_activity = now;
  } else if (transfer->request->idle_timeout > Duration(0) &&
             now - transfer->last_activity > transfer->request->idle_timeout) {
    transfer->idle_expired = true;
    return 1;
  }
  return 0;
}

// Probe count and TCP_USER_TIMEOUT have no curl options: set them on the socket (spec 1.7; a
// SIGSTOPped etcd is otherwise never noticed on the watch connection).
int on_socket(void* user, curl_socket_t fd, curlsocktype purpose) {
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
  auto* transfer = static_cast<Transfer*>(user);
  int probes = transfer->socket->keepalive_probes;
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
  unsigned int user_timeout_ms =
      static_cast<unsigned int>(transfer->socket->user_timeout.count() * 1000);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
  return CURL_SOCKOPT_OK;
}

std::string after(std::string_view text, std::string_view marker) {
  auto at = text.find(marker);
  if (at == std::string_view::npos) return "";
  std::string_view rest = text.substr(at + marker.size());
  auto end = rest.find(", errno");
  return std::string(rest.substr(0, end));
}

// TLS 1.3 lets the client finish its handshake before the server checks the client's
// certificate, so a rejected (missing, expired, untrusted) client certificate shows up as an
// alert on the first read: still a TLS failure, and etcd did not process the request.
bool is_tls_alert(std::string_view detail) {
  return detail.find("alert") != std::string_view::npos &&
         detail.find("SSL") != std::string_view::npos;
}

std::string tls_reason(int code, std::string_view detail) {
  if (auto problem = after(detail, "SSL certificate problem: "); !problem.empty()) {
    return "certificate verify failed (" + problem + ")";
  }
  if (detail.find("subject name") != std::string_view::npos) {
    auto host = after(detail, "target host name ");
    return "certificate verify failed (hostname/IP mismatch: the server certificate does not "
           "name " +
           (host.empty() ? std::string("this host") : host) + ")";
  }
  if (auto routine = after(detail, "SSL routines::"); !routine.empty()) {
    if (routine.find("alert") != std::string::npos)
      return "the server sent alert '" + routine + "'";
    return routine;
  }
  if (code == CURLE_SSL_CERTPROBLEM) return "client certificate problem: " + std::string(detail);
  if (code == CURLE_SSL_CACERT_BADFILE) return "CA file problem: " + std::string(detail);
  return std::string(detail.empty() ? curl_easy_strerror(static_cast<CURLcode>(code)) : detail);
}

bool is_tls_code(int code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

TransportError classify_curl_error(int code, std::string_view detail, bool request_sent) {
  using Kind = TransportError::Kind;
  if (is_tls_code(code) || is_tls_alert(detail))
    return {Kind::kTls, "TLS handshake failed: " + tls_reason(code, detail)};
  std::string text =
      detail.empty() ? curl_easy_strerror(static_cast<CURLcode>(code)) : std::string(detail);
  if (code == CURLE_ABORTED_BY_CALLBACK || code == CURLE_WRITE_ERROR) return {Kind::kStopped, text};
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || !request_sent) {
    return {Kind::kNotSent, text};
  }
  return {Kind::kMaybeSent, text};
}

CurlSession::CurlSession() {
  global_init();
  handle_ = curl_easy_init();
}

CurlSession::~CurlSession() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

HttpOutcome CurlSession::perform(const HttpRequest& request, const TlsSettings& tls,
                                 const SocketSettings& socket) {
  CURL* curl = static_cast<CURL*>(handle_);
  if (!curl)
    return {std::nullopt, TransportError{TransportError::Kind::kNotSent, "curl_easy_init failed"}};
  curl_easy_reset(curl);  // keeps the connection cache
  Transfer transfer{&request, &socket, {}, false};
  char detail[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  std::string authorization = "Authorization: " + request.authorization;
  if (!request.authorization.empty()) headers = curl_slist_append(headers, authorization.c_str());

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // etcd is addressed directly
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  if (!request.get) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, on_socket);
  curl_easy_setopt(curl, CURLOPT_SOCKOPTDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<long>(1, request.connect_timeout.count())));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  long idle = std::max<long>(1, static_cast<long>(socket.keepalive_idle.count()));
  long interval = std::max<long>(1, static_cast<long>((socket.user_timeout.count() - idle) /
                                                      std::max(1, socket.keepalive_probes)));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, idle);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, interval);
  if (!tls.cacert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls.cacert.c_str());
  if (!tls.cert.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert.c_str());
  if (!tls.key.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key.c_str());
  if (!tls.key_password.empty())
    curl_easy_setopt(curl, CURLOPT_KEYPASSWD, tls.key_password.c_str());

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  HttpOutcome outcome;
  if (code != CURLE_OK) {
    long sent = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
    auto error = classify_curl_error(code, detail, sent > 0);
    if (transfer.stopped_by_callback) error.kind = TransportError::Kind::kStopped;
    if (transfer.idle_expired) {
      error = {TransportError::Kind::kIdle,
               "no data for " + std::to_string(request.idle_timeout.count()) + " ms"};
    }
    outcome.error = std::move(error);
    return outcome;
  }
  HttpResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(transfer.body);
  outcome.response = std::move(response);
  return outcome;
}

}  // namespace pghalo::dcs::etcd
