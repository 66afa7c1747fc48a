#include "api/http_parser.h"

#include <gtest/gtest.h>

#include "api/timestamps.h"
#include "common/random.h"

namespace pghalo::api {
namespace {

HeadParse parse(std::string_view text, HeadLimits limits = {}) {
  return parse_request_head(text, limits);
}

TEST(ParseRequestHead, ReadsMethodPathQueryVersionAndHeaders) {
  auto r = parse("GET /replica?lag=1MB&tag_zone=a%20b&lag=5 HTTP/1.1\r\nHost: x\r\n"
                 "X-Thing:  v  \r\n\r\nrest");
  ASSERT_EQ(r.status, HeadStatus::kComplete);
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.path, "/replica");
  EXPECT_EQ(r.request.query.at("lag"), "1MB");  // first value wins
  EXPECT_EQ(r.request.query.at("tag_zone"), "a b");
  EXPECT_EQ(r.request.http_minor, 1);
  EXPECT_EQ(r.request.header("x-thing"), "v");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.head_bytes, std::string_view("GET /replica?lag=1MB&tag_zone=a%20b&lag=5 HTTP/1.1\r\n"
                                           "Host: x\r\nX-Thing:  v  \r\n\r\n")
                              .size());
}

TEST(ParseRequestHead, WaitsForTheBlankLine) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n").status, HeadStatus::kIncomplete);
  EXPECT_EQ(parse("GET / HTT").status, HeadStatus::kIncomplete);
  EXPECT_EQ(parse("").status, HeadStatus::kIncomplete);
}

TEST(ParseRequestHead, AcceptsBareLineFeeds) {
  auto r = parse("OPTIONS / HTTP/1.0\nHost: x\n\n");
  ASSERT_EQ(r.status, HeadStatus::kComplete);
  EXPECT_EQ(r.request.method, "OPTIONS");
  EXPECT_FALSE(r.keep_alive);
}

struct KeepAliveRow {
  const char* head;
  bool keep_alive;
};

TEST(ParseRequestHead, KeepAliveFollowsTheVersionAndTheConnectionHeader) {
  for (const auto& row : std::vector<KeepAliveRow>{
           {"GET / HTTP/1.1\r\n\r\n", true},
           {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
           {"GET / HTTP/1.1\r\nConnection: Upgrade, Close\r\n\r\n", false},
           {"GET / HTTP/1.0\r\n\r\n", false},
           {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
       }) {
    auto r = parse(row.head);
    ASSERT_EQ(r.status, HeadStatus::kComplete) << row.head;
    EXPECT_EQ(r.keep_alive, row.keep_alive) << row.head;
  }
}

TEST(ParseRequestHead, ReadsContentLengthAndExpectContinue) {
  auto r = parse("POST /restart HTTP/1.1\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(r.status, HeadStatus::kComplete);
  EXPECT_EQ(r.request.content_length, 12u);
  EXPECT_TRUE(r.expect_continue);
}

TEST(ParseRequestHead, ReducesAnAbsoluteTargetToItsPath) {
  auto r = parse("GET http://10.0.0.1:8008/patroni?x=1 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.status, HeadStatus::kComplete);
  EXPECT_EQ(r.request.path, "/patroni");
  EXPECT_EQ(r.request.query.at("x"), "1");
  EXPECT_EQ(parse("GET http://h HTTP/1.1\r\n\r\n").request.path, "/");
}

struct ErrorRow {
  const char* head;
  int status;
  const char* message_part;
};

TEST(ParseRequestHead, RejectsMalformedRequestsWithAStatusAndAReason) {
  HeadLimits limits;
  limits.max_body_bytes = 100;
  for (const auto& row : std::vector<ErrorRow>{
           {"GARBAGE\r\n\r\n", 400, "request line"},
           {"GET /\r\n\r\n", 400, "request line"},
           {"GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1"},
           {"GET / FTP/1.0\r\n\r\n", 400, "HTTP version"},
           {"GET patroni HTTP/1.1\r\n\r\n", 400, "target"},
           {"G(T / HTTP/1.1\r\n\r\n", 400, "method"},
           {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "header line"},
           {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "header line"},
           {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, "folding"},
           {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"},
           {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "conflicting"},
           {"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413, "larger than the limit"},
           {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "Content-Length"},
           {"POST / HTTP/1.1\r\nExpect: magic\r\n\r\n", 417, "expectation"},
       }) {
    auto r = parse_request_head(row.head, limits);
    ASSERT_EQ(r.status, HeadStatus::kError) << row.head;
    EXPECT_EQ(r.error_status, row.status) << row.head;
    EXPECT_NE(r.error_message.find(row.message_part), std::string::npos)
        << row.head << " -> " << r.error_message;
  }
}

TEST(ParseRequestHead, RefusesHeadsOverTheLimitEvenBeforeTheyEnd) {
  HeadLimits limits;
  limits.max_head_bytes = 64;
  std::string endless = "GET / HTTP/1.1\r\nX-Pad: " + std::string(100, 'a');
  auto r = parse_request_head(endless, limits);
  ASSERT_EQ(r.status, HeadStatus::kError);
  EXPECT_EQ(r.error_status, 431);
  limits.max_headers = 2;
  limits.max_head_bytes = 4096;
  r = parse_request_head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  EXPECT_EQ(r.error_status, 431);
}

TEST(ParseRequestHead, SurvivesRandomAndTruncatedInput) {
  SeededRandom random(42);
  const std::string valid =
      "POST /restart?x=%41&y HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";
  const std::string alphabet = "GETPOS /?&=%:\r\n HTTP/1.0x\t\0\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    if (random.chance(0.5)) {
      input = valid.substr(0, random.uniform(0, valid.size()));
      if (!input.empty()) input[random.uniform(0, input.size() - 1)] = static_cast<char>(random.next_u64());
    } else {
      std::size_t n = random.uniform(0, 200);
      for (std::size_t k = 0; k < n; ++k) input += alphabet[random.uniform(0, alphabet.size() - 1)];
    }
    HeadLimits limits;
    limits.max_head_bytes = 128;
    auto result = parse_request_head(input, limits);
    if (result.status == HeadStatus::kError) {
      EXPECT_GE(result.error_status, 400);
      EXPECT_FALSE(result.error_message.empty());
    }
  }
}

TEST(ParseQuery, FollowsPythonParseQs) {
  auto q = parse_query("a=1&b=&c&d=x+y&a=2&e=%41%zz");
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.at("a"), "1");
  EXPECT_EQ(q.at("d"), "x y");
  EXPECT_EQ(q.at("e"), "A%zz");
}

struct TimestampRow {
  const char* text;
  const char* python_str;  // nullptr: unparsable
  bool has_zone;
};

TEST(ParseTimestamp, ReadsIsoAndPostgresForms) {
  for (const auto& row : std::vector<TimestampRow>{
           {"2026-11-26 20:45:44.828388+00", "2026-11-26 20:45:44.828388+00:00", true},
           {"2026-11-26T20:45:44.5+02:00", "2026-11-26 20:45:44.500000+02:00", true},
           {"2026-11-26T20:45Z", "2026-11-26 20:45:00+00:00", true},
           {"2026-11-26 20:45:44-0530", "2026-11-26 20:45:44-05:30", true},
           {"2026-11-26T20:45:44", "2026-11-26 20:45:44", false},
           {"2026-11-26", "2026-11-26 00:00:00", false},
           {"2026-02-30T10:00Z", nullptr, false},
           {"26-11-2026", nullptr, false},
           {"2026-11-26T25:00Z", nullptr, false},
           {"2026-11-26T20:45+2", nullptr, false},
           {"tomorrow", nullptr, false},
       }) {
    auto t = parse_timestamp(row.text);
    if (!row.python_str) {
      EXPECT_FALSE(t.has_value()) << row.text;
      continue;
    }
    ASSERT_TRUE(t.has_value()) << row.text;
    EXPECT_EQ(format_python_str(*t), row.python_str) << row.text;
    EXPECT_EQ(t->offset_minutes.has_value(), row.has_zone) << row.text;
  }
}

TEST(ParseTimestamp, KeepsTheInstantAcrossOffsets) {
  auto a = parse_timestamp("2026-11-26T22:00:00+02:00");
  auto b = parse_timestamp("2026-11-26T20:00:00Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->utc, b->utc);
  EXPECT_EQ(format_python_isoformat(*a), "2026-11-26T22:00:00+02:00");
  EXPECT_EQ(format_epoch_seconds(*b), "1795723200.0");
  EXPECT_EQ(format_epoch_seconds(*parse_timestamp("2026-11-26 20:45:44.828388+00")),
            "1795725944.828388");
}

}  // namespace
}  // namespace pghalo::api
