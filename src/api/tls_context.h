// The OpenSSL server context of the REST API (spec 3.1 TLS): certificate chain, private key with
// an optional password, client-certificate CA, cipher list and verify_client none|optional|
// required. reload() rebuilds it from the same files (SIGHUP, POST /reload) and swaps it in for
// new connections; connections already open keep the context they started with, and a broken
// file leaves the old context in place. Not here: sockets and the handshake (connection.h).
// Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace pghalo::api {

struct TlsOptions {
  std::string certfile;
  std::string keyfile;  // empty: the key is in certfile
  std::string keyfile_password;
  std::string cafile;   // CA for client certificates
  std::string ciphers;  // OpenSSL cipher list for TLS <= 1.2; empty: OpenSSL's default
  std::string verify_client = "none";
};

using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// Builds a server context from files; the error names the file or setting at fault.
Result<SslCtxPtr> build_server_context(const TlsOptions& options);

class TlsContext {
 public:
  static Result<std::unique_ptr<TlsContext>> create(TlsOptions options);

  // The context for a new connection.
  SslCtxPtr current() const;
  // Re-reads the files; on error keeps serving with the previous context.
  Status reload();

 private:
  TlsContext(TlsOptions options, SslCtxPtr context)
      : options_(std::move(options)), context_(std::move(context)) {}

  const TlsOptions options_;
  mutable std::mutex mutex_;
  SslCtxPtr context_;
};

// The last OpenSSL error of this thread as text (and clears the queue).
std::string openssl_error();

}  // namespace pghalo::api
