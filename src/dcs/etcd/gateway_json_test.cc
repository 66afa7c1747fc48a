#include "dcs/etcd/gateway_json.h"

#include <gtest/gtest.h>

#include "common/random.h"
#include "common/strings.h"
#include "dcs/etcd/curl_session.h"
#include "dcs/etcd/endpoints.h"
#include "dcs/etcd/json_stream.h"

namespace pghalo::dcs::etcd {
namespace {

using nlohmann::json;

TEST(GatewayJson, EncodesKeysAsBase64AndInt64sAsStrings) {
  EXPECT_EQ(
      json::parse(gateway::range_body("/service/b/", "/service/b0", true)),
      json::parse(
          R"({"key":"L3NlcnZpY2UvYi8=","range_end":"L3NlcnZpY2UvYjA=","serializable":true})"));
  EXPECT_EQ(json::parse(gateway::put_body({"/k", "v", LeaseId(7587862064812345678)})),
            json::parse(R"({"key":"L2s=","value":"dg==","lease":"7587862064812345678"})"));
  EXPECT_EQ(json::parse(gateway::grant_body(30)), json::parse(R"({"TTL":"30"})"));
  EXPECT_EQ(
      json::parse(gateway::watch_body("/a/", "/a0", Revision(12))),
      json::parse(R"({"create_request":{"key":"L2Ev","range_end":"L2Ew","start_revision":"12"}})"));
}

TEST(GatewayJson, EncodesTheRefreshTxnWithItsNestedFailureTxn) {
  auto nested = std::make_shared<TxnRequest>();
  nested->compare = {Compare{"/l", CompareTarget::kCreate, 0, ""}};
  nested->success = {PutOp{"/l", "n", LeaseId(5)}};
  TxnRequest request;
  request.compare = {Compare{"/l", CompareTarget::kValue, 0, "n"}};
  request.success = {PutOp{"/l", "n", LeaseId(5)}};
  request.failure = {nested};
  auto body = json::parse(gateway::txn_body(request));
  EXPECT_EQ(body["compare"][0],
            json::parse(R"({"key":"L2w=","target":"VALUE","result":"EQUAL","value":"bg=="})"));
  EXPECT_EQ(body["failure"][0]["request_txn"]["compare"][0]["create_revision"], "0");
  EXPECT_EQ(body["failure"][0]["request_txn"]["success"][0]["request_put"]["lease"], "5");
}

TEST(GatewayJson, DecodesARangeWithOmittedDefaults) {
  auto body =
      json::parse(R"({"header":{"revision":"67"},"kvs":[{"key":"L2w=","create_revision":"57",
      "mod_revision":"57","version":"1","lease":"2374701134395606790"},{"key":"L2M=","value":"e30=","mod_revision":3}],"count":"2"})");
  auto range = gateway::decode_range(body);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->header_revision, Revision(67));
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].value, "");
  EXPECT_EQ(range->kvs[0].lease, LeaseId(0x20f4a2199b5e0706));
  EXPECT_EQ(range->kvs[1].value, "{}");
  EXPECT_EQ(range->kvs[1].lease, LeaseId(0));
}

TEST(GatewayJson, DecodesTxnOutcomesIncludingTheNestedOne) {
  auto failed = gateway::decode_txn(json::parse(
      R"({"header":{"revision":"9"},"responses":[{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_put":{}}]}}]})"));
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->succeeded);  // absent means false
  EXPECT_EQ(failed->responses[0].nested_succeeded, true);
  auto weird = gateway::decode_txn(
      json::parse(R"({"succeeded":"yes","responses":[{"response_txn":{"succeeded":1}}]})"));
  ASSERT_TRUE(weird.ok());
  EXPECT_FALSE(weird->succeeded);
}

TEST(GatewayJson, ReadsAKeepaliveWithoutTtlAsALostLease) {
  EXPECT_EQ(*gateway::decode_keepalive(json::parse(R"({"result":{"ID":"5","TTL":"30"}})")), 30);
  EXPECT_FALSE(gateway::decode_keepalive(json::parse(R"({"result":{"ID":"5"}})"))->has_value());
  EXPECT_FALSE(
      gateway::decode_keepalive(json::parse(R"({"result":{"ID":"5","TTL":"0"}})"))->has_value());
}

TEST(GatewayJson, DecodesWatchEventsCancellationAndStreamErrors) {
  auto batch = gateway::decode_watch_message(json::parse(
      R"({"result":{"header":{"revision":"70"},"events":[{"kv":{"key":"L2E=","value":"MQ==","mod_revision":"70"}},{"type":"DELETE","kv":{"key":"L2I=","mod_revision":"70"}}]}})"));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(batch->events[1].type, WatchEvent::Type::kDelete);
  auto canceled = gateway::decode_watch_message(json::parse(
      R"({"result":{"header":{"revision":"90"},"canceled":true,"compact_revision":"50"}})"));
  EXPECT_TRUE(canceled->canceled);
  EXPECT_EQ(canceled->compact_revision, Revision(50));
  auto in_stream = gateway::server_error(
      json::parse(
          R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})"),
      200);
  ASSERT_TRUE(in_stream);
  EXPECT_EQ(in_stream->grpc_code, 14);
  EXPECT_TRUE(in_stream->is_transient());
  auto unary = gateway::server_error(
      json::parse(R"({"error":"etcdserver: invalid auth token","code":16,"message":"x"})"), 401);
  ASSERT_TRUE(unary);
  EXPECT_TRUE(unary->is_auth_error());
  EXPECT_FALSE(gateway::server_error(json::parse(R"({"header":{}})"), 200));
}

TEST(GatewayJson, RejectsAnswersOfTheWrongShapeWithoutThrowing) {
  EXPECT_FALSE(gateway::decode_range(json::parse(R"({"kvs":{"a":1}})")).ok());
  EXPECT_FALSE(gateway::decode_range(json::parse(R"({"kvs":[{"key":"***"}]})")).ok());
  EXPECT_FALSE(gateway::decode_range(json::parse(R"({"header":{"revision":"x"}})")).ok());
  EXPECT_FALSE(gateway::decode_grant(json::parse(R"({"TTL":"30"})")).ok());
  EXPECT_FALSE(gateway::decode_watch_message(json::parse(R"([1])")).ok());
  EXPECT_FALSE(gateway::parse_body("<html>").ok());
  auto odd = gateway::server_error(json::parse(R"({"error":{"grpc_code":"x","message":5}})"), 500);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->grpc_code, 2);
}

TEST(GatewayJson, PicksTheApiPrefixFromTheClusterVersion) {
  EXPECT_EQ(*gateway::decode_version_prefix(
                json::parse(R"({"etcdserver":"3.4.23","etcdcluster":"3.4.0"})")),
            "/v3");
  EXPECT_EQ(*gateway::decode_version_prefix(
                json::parse(R"({"etcdserver":"3.3.1","etcdcluster":"3.3.0"})")),
            "/v3beta");
  EXPECT_EQ(*gateway::decode_version_prefix(
                json::parse(R"({"etcdserver":"3.2.1","etcdcluster":"3.2.0"})")),
            "/v3alpha");
  EXPECT_FALSE(
      gateway::decode_version_prefix(json::parse(R"({"etcdserver":"2.3.8","etcdcluster":"2.3.0"})"))
          .ok());
}

TEST(GatewayJson, ReadsClientUrlsOfStartedMembersOnly) {
  auto urls = gateway::decode_member_urls(json::parse(
      R"({"members":[{"name":"e1","clientURLs":["https://127.0.0.1:2379"]},{"name":"","peerURLs":["https://x"]}]})"));
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(*urls, std::vector<std::string>{"https://127.0.0.1:2379"});
}

TEST(JsonStreamSplitter, CutsObjectsAcrossAndWithinChunks) {
  JsonStreamSplitter splitter;
  EXPECT_TRUE(splitter.feed(R"({"result":{"a":"}{\"x"})").empty());
  auto first = splitter.feed("}\n{\"b\":[1,{}]}{\"c\":");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0], R"({"result":{"a":"}{\"x"}})");
  EXPECT_EQ(first[1], R"({"b":[1,{}]})");
  EXPECT_EQ(splitter.feed("1}"), std::vector<std::string>{R"({"c":1})"});
  EXPECT_FALSE(splitter.broken());
  splitter.feed("garbage");
  EXPECT_TRUE(splitter.broken());
}

TEST(EndpointList, SplitsRetryTimeoutAcrossEndpointsLikePatroni) {
  EndpointList one({"http://a"});
  auto single = one.plan(std::chrono::seconds(9));
  ASSERT_EQ(single.size(), 3u);
  EXPECT_EQ(single[0].timeout, std::chrono::seconds(3));
  EXPECT_EQ(single[0].connect_timeout, std::chrono::milliseconds(1500));
  EndpointList two({"http://a", "http://b"});
  EXPECT_EQ(two.plan(std::chrono::seconds(8)).size(), 4u);
  EndpointList three({"http://a", "http://b", "http://c"});
  auto spread = three.plan(std::chrono::seconds(10));
  ASSERT_EQ(spread.size(), 3u);
  EXPECT_EQ(spread[0].connect_timeout, std::chrono::milliseconds(1666));
  auto short_budget = three.plan(std::chrono::seconds(2));
  ASSERT_EQ(short_budget.size(), 2u);  // each endpoint gets at least 1 s
  EXPECT_EQ(short_budget[0].timeout, std::chrono::seconds(1));
  EXPECT_EQ(EndpointList({"http://a"}).plan(std::chrono::milliseconds(1500)).size(), 1u);
}

TEST(EndpointList, StaysOnTheEndpointThatAnsweredAndMovesOnFailure) {
  EndpointList list({"http://a", "http://b", "http://c"});
  list.failed("http://a");
  EXPECT_EQ(list.current(), "http://b");
  EXPECT_EQ(list.plan(std::chrono::seconds(9))[0].url, "http://b");
  list.failed("http://a");  // a stale failure does not move us
  EXPECT_EQ(list.current(), "http://b");
  SeededRandom random(1);
  list.replace({"http://c", "http://b", "http://d"}, random);
  EXPECT_EQ(list.current(), "http://b");
  EXPECT_EQ(endpoint_url("127.0.0.1:2379", "https"), "https://127.0.0.1:2379");
  EXPECT_EQ(endpoint_url("http://h:1/", "https"), "http://h:1");
}

struct CurlCase {
  int code;
  std::string detail;
  bool sent;
  TransportError::Kind kind;
  std::string message;
};

class CurlErrors : public testing::TestWithParam<CurlCase> {};

TEST_P(CurlErrors, BecomeOneSentenceAndARetryDecision) {
  auto error = classify_curl_error(GetParam().code, GetParam().detail, GetParam().sent);
  EXPECT_EQ(error.kind, GetParam().kind);
  EXPECT_EQ(error.message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CurlErrors,
    testing::Values(
        CurlCase{60, "SSL certificate problem: unable to get local issuer certificate", false,
                 TransportError::Kind::kTls,
                 "TLS handshake failed: certificate verify failed (unable to get local issuer "
                 "certificate)"},
        CurlCase{
            60, "SSL: no alternative certificate subject name matches target host name '127.0.0.1'",
            false, TransportError::Kind::kTls,
            "TLS handshake failed: certificate verify failed (hostname/IP mismatch: the server "
            "certificate does not "
            "name '127.0.0.1')"},
        CurlCase{56,
                 "OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate "
                 "required, errno 0",
                 true, TransportError::Kind::kTls,
                 "TLS handshake failed: the server sent alert 'tlsv13 alert certificate required'"},
        CurlCase{35,
                 "OpenSSL SSL_connect: error:0A000412:SSL routines::sslv3 alert bad certificate, "
                 "errno 0",
                 false, TransportError::Kind::kTls,
                 "TLS handshake failed: the server sent alert 'sslv3 alert bad certificate'"},
        CurlCase{
            7, "Failed to connect to 127.0.0.1 port 17001 after 0 ms: Couldn't connect to server",
            false, TransportError::Kind::kNotSent,
            "Failed to connect to 127.0.0.1 port 17001 after 0 ms: Couldn't connect to server"},
        CurlCase{28, "Operation timed out after 1000 milliseconds with 0 bytes received", true,
                 TransportError::Kind::kMaybeSent,
                 "Operation timed out after 1000 milliseconds with 0 bytes received"},
        CurlCase{28, "Connection timed out after 1000 milliseconds", false,
                 TransportError::Kind::kNotSent, "Connection timed out after 1000 milliseconds"},
        CurlCase{52, "Empty reply from server", true, TransportError::Kind::kMaybeSent,
                 "Empty reply from server"}));

}  // namespace
}  // namespace pghalo::dcs::etcd
