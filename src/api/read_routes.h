// The read side of the REST API as pure functions of (request, rendered snapshot, now): the
// GET endpoints of spec 3.4 and the generic health-check handler of 3.3 that GET, HEAD and
// OPTIONS fall into when no specific endpoint matches. Never blocks; thread-safe.
#pragma once

#include <string>

#include "api/http_message.h"
#include "api/rendered_snapshot.h"
#include "common/clock.h"

namespace pghalo::api {

// The first path segment, which selects Patroni's handler: "/cluster/x?y" -> "cluster".
std::string first_segment(const std::string& path);

// True when `method` + first segment names one of the GET endpoints of spec 3.4.
bool is_read_endpoint(const std::string& method, const std::string& segment);

// Answers GET/HEAD/OPTIONS (specific endpoint or generic health check).
Response read_route(const Request& request, const RenderedSnapshot& rendered, MonoTime now);

}  // namespace pghalo::api
