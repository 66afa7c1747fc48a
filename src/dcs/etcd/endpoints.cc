#include "dcs/etcd/endpoints.h"

#include <algorithm>

#include "common/check.h"

namespace pghalo::dcs::etcd {

EndpointList::EndpointList(std::vector<std::string> urls) : urls_(std::move(urls)) {
  CHECK(!urls_.empty()) << "at least one etcd endpoint is required";
}

std::vector<Attempt> EndpointList::plan(Duration budget) const {
  constexpr Duration kMinimumAttempt = std::chrono::seconds(1);
  long nodes = static_cast<long>(urls_.size());
  long max_rounds = 4 - std::min(nodes, 3L);  // 1 node: 3 tries, 2 nodes: 2 each, more: 1 each
  long rounds = 1;
  // Fewer endpoints when each would get less than a second; more rounds while each try keeps one.
  while (nodes > 1 && budget / nodes < kMinimumAttempt) {
    --nodes;
    max_rounds = 1;
  }
  Duration per_node = budget / nodes;
  while (rounds < max_rounds && per_node / (rounds + 1) >= kMinimumAttempt) ++rounds;
  Duration per_attempt = per_node / rounds;
  Duration connect = std::min(per_attempt, std::max<Duration>(kMinimumAttempt, per_attempt / 2));
  std::vector<Attempt> attempts;
  for (long round = 0; round < rounds; ++round) {
    for (long i = 0; i < nodes; ++i) {
      attempts.push_back(
          {urls_[(current_ + static_cast<std::size_t>(i)) % urls_.size()], per_attempt, connect});
    }
  }
  return attempts;
}

void EndpointList::succeeded(const std::string& url) {
  auto it = std::find(urls_.begin(), urls_.end(), url);
  if (it != urls_.end()) current_ = static_cast<std::size_t>(it - urls_.begin());
}

void EndpointList::failed(const std::string& url) {
  if (urls_[current_] == url) current_ = (current_ + 1) % urls_.size();
}

void EndpointList::replace(std::vector<std::string> urls, Random& random) {
  if (urls.empty()) return;
  std::string keep = current();
  // Shuffle (Fisher-Yates through the Random seam) so agents spread over the members.
  for (std::size_t i = urls.size() - 1; i > 0; --i) {
    std::swap(urls[i], urls[random.uniform(0, i)]);
  }
  urls_ = std::move(urls);
  current_ = 0;
  succeeded(keep);
}

std::string endpoint_url(const std::string& host_port, const std::string& protocol) {
  std::string url = host_port;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.find("://") != std::string::npos) return url;
  return (protocol.empty() ? "http" : protocol) + "://" + url;
}

}  // namespace pghalo::dcs::etcd
