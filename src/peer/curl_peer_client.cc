#include "peer/curl_peer_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace pghalo::peer {
namespace {

// Transfers finish by their own CURLOPT_TIMEOUT_MS; this margin only bounds our poll loop if
// libcurl misbehaves.
constexpr Duration kLoopMargin{500};

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  CurlPeerClient::Exchange* exchange = nullptr;
  std::size_t max_body = 0;
  bool truncated = false;
  char error[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::size_t bytes = size * count;
  if (transfer->exchange->body.size() + bytes > transfer->max_body) {
    transfer->truncated = true;
    return 0;  // aborts the transfer: a status document is never this large
  }
  transfer->exchange->body.append(data, bytes);
  return bytes;
}

void ensure_global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long to_ms(Duration d) { return static_cast<long>(d.count() > 0 ? d.count() : 1); }

void configure(Transfer& t, const CurlPeerOptions& options, Duration timeout) {
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, t.exchange->url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to_ms(timeout));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, to_ms(timeout));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_USERAGENT, "pghalo (Patroni 3.0.2 REST API)");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  if (options.username) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(e, CURLOPT_USERNAME, options.username->c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, options.password.value_or("").c_str());
  }
  if (!options.certfile.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, options.certfile.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY,
                     (options.keyfile.empty() ? options.certfile : options.keyfile).c_str());
    if (!options.keyfile_password.empty()) {
      curl_easy_setopt(e, CURLOPT_KEYPASSWD, options.keyfile_password.c_str());
    }
  }
  if (!options.cacert.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.cacert.c_str());
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.insecure ? 0L : 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, !options.insecure && options.verify_hostname ? 2L : 0L);
  if (!t.exchange->post_body.empty()) {
    t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.exchange->post_body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.exchange->post_body.c_str());
  }
}

void finish(Transfer& t, CURLcode code) {
  CurlPeerClient::Exchange& x = *t.exchange;
  if (code == CURLE_OK) {
    x.completed = true;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &x.status);
    return;
  }
  if (t.truncated) {
    x.error = "the answer is larger than " + std::to_string(t.max_body) + " bytes";
  } else {
    x.error = t.error[0] != '\0' ? std::string(t.error) : std::string(curl_easy_strerror(code));
  }
  x.body.clear();
}

}  // namespace

CurlPeerClient::CurlPeerClient(CurlPeerOptions options) : options_(std::move(options)) {
  ensure_global_init();
}

void CurlPeerClient::perform(std::vector<Exchange>& exchanges, Duration timeout) const {
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              curl_multi_cleanup);
  std::vector<std::unique_ptr<Transfer>> transfers;
  for (auto& exchange : exchanges) {
    auto t = std::make_unique<Transfer>();
    t->exchange = &exchange;
    t->max_body = options_.max_body_bytes;
    t->easy = curl_easy_init();
    if (t->easy == nullptr || !multi) {
      exchange.error = "cannot create an HTTP client handle";
      continue;
    }
    configure(*t, options_, timeout);
    curl_multi_add_handle(multi.get(), t->easy);
    transfers.push_back(std::move(t));
  }
  const MonoTime deadline = std::chrono::steady_clock::now() + timeout + kLoopMargin;
  int running = static_cast<int>(transfers.size());
  while (running > 0 && std::chrono::steady_clock::now() < deadline) {
    curl_multi_perform(multi.get(), &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &t);
      finish(*t, message->data.result);
    }
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
  }
  for (auto& t : transfers) {
    if (!t->exchange->completed && t->exchange->error.empty()) {
      t->exchange->error = "no answer within " + std::to_string(timeout.count()) + " ms";
    }
    curl_multi_remove_handle(multi.get(), t->easy);
  }
}

std::vector<model::PeerStatus> CurlPeerClient::fetch_status(const std::vector<PeerTarget>& targets,
                                                            Duration timeout) {
  std::vector<Exchange> exchanges(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) exchanges[i].url = targets[i].api_url;
  perform(exchanges, timeout);
  std::vector<model::PeerStatus> out;
  out.reserve(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (exchanges[i].completed) {
      // Patroni reads the body whatever the status code: /patroni answers 200 anyway, and a
      // member that answers 503 with a status document is still reachable.
      out.push_back(parse_peer_status(targets[i].name, exchanges[i].body));
      if (!out.back().reachable && exchanges[i].status != 200) {
        out.back().error += " (HTTP " + std::to_string(exchanges[i].status) + ")";
      }
    } else {
      model::PeerStatus status;
      status.name = targets[i].name;
      status.error = exchanges[i].error;
      out.push_back(std::move(status));
    }
  }
  return out;
}

std::vector<FailsafeReply> CurlPeerClient::post_failsafe(const std::vector<PeerTarget>& targets,
                                                         const nlohmann::json& body,
                                                         Duration timeout) {
  const std::string payload = body.dump();
  std::vector<Exchange> exchanges(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    exchanges[i].url = endpoint_url(targets[i].api_url, "/failsafe");
    exchanges[i].post_body = payload;
  }
  perform(exchanges, timeout);
  // One retry for what failed in transport (Patroni's retries=1); answers are final.
  std::vector<Exchange> retry;
  std::vector<std::size_t> retried;
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    if (exchanges[i].completed || exchanges[i].url.empty()) continue;
    Exchange again;
    again.url = exchanges[i].url;
    again.post_body = payload;
    retry.push_back(std::move(again));
    retried.push_back(i);
  }
  if (!retry.empty()) perform(retry, timeout);
  for (std::size_t k = 0; k < retried.size(); ++k) exchanges[retried[k]] = std::move(retry[k]);

  std::vector<FailsafeReply> out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    FailsafeReply reply;
    reply.name = targets[i].name;
    const Exchange& x = exchanges[i];
    reply.accepted = x.completed && x.status == 200 && x.body == "Accepted";
    if (x.url.empty()) {
      reply.error = "api_url '" + targets[i].api_url + "' has no scheme";
    } else if (!x.completed) {
      reply.error = x.error;
    } else if (!reply.accepted) {
      reply.error = "HTTP " + std::to_string(x.status) + ": " + x.body.substr(0, 200);
    }
    out.push_back(std::move(reply));
  }
  return out;
}

}  // namespace pghalo::peer
