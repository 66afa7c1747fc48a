// The seam between the HTTP server and what answers requests. The server calls is_fast() on its
// I/O thread: fast requests are answered right there (health checks: memory only, microseconds);
// the others run on a bounded pool of worker threads because they may block (commands to the
// agent, DNS for the allowlist, switchover polling). Implementations must be thread-safe:
// handle() runs on several threads at once.
#pragma once

#include "api/http_message.h"

namespace pghalo::api {

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // True when handle(request) never blocks: it may then run on the I/O thread.
  virtual bool is_fast(const Request& request) const = 0;
  virtual Response handle(const Request& request) = 0;
  // Called when the server stops: blocking handle() calls must return promptly from now on.
  virtual void cancel() {}
};

}  // namespace pghalo::api
