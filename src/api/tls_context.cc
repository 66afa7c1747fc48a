#include "api/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstring>

namespace pghalo::api {
namespace {

int password_callback(char* buffer, int size, int /*rwflag*/, void* userdata) {
  const auto* password = static_cast<const std::string*>(userdata);
  if (password == nullptr || size <= 0) return 0;
  int length = static_cast<int>(password->size());
  if (length > size) length = size;
  std::memcpy(buffer, password->data(), static_cast<std::size_t>(length));
  return length;
}

Error tls_error(const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, what + ": " + openssl_error());
}

}  // namespace

std::string openssl_error() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown TLS error" : out;
}

Result<SslCtxPtr> build_server_context(const TlsOptions& options) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return tls_error("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Writes may be retried from a moved buffer and complete partially: the server's output
  // buffer is a std::string that can reallocate between attempts.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), options.ciphers.c_str()) != 1) {
    return tls_error("restapi.ciphers '" + options.ciphers + "' selects no cipher");
  }
  // The password callback reads the string during SSL_CTX_use_PrivateKey_file only.
  std::string password = options.keyfile_password;
  SSL_CTX_set_default_passwd_cb(ctx.get(), password_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), &password);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.certfile.c_str()) != 1) {
    return tls_error("cannot load restapi.certfile " + options.certfile);
  }
  const std::string& keyfile = options.keyfile.empty() ? options.certfile : options.keyfile;
  bool key_loaded = SSL_CTX_use_PrivateKey_file(ctx.get(), keyfile.c_str(), SSL_FILETYPE_PEM) == 1;
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), nullptr);
  if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
    return tls_error("restapi.keyfile " + keyfile + " does not match the certificate");
  }
  if (!key_loaded) return tls_error("cannot load restapi.keyfile " + keyfile);
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return tls_error("restapi.keyfile " + keyfile + " does not match the certificate");
  }
  if (!options.cafile.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.cafile.c_str(), nullptr) != 1) {
      return tls_error("cannot load restapi.cafile " + options.cafile);
    }
    SSL_CTX_set_client_CA_list(ctx.get(), SSL_load_client_CA_file(options.cafile.c_str()));
  }
  int mode = SSL_VERIFY_NONE;
  if (options.verify_client == "optional") {
    mode = SSL_VERIFY_PEER;
  } else if (options.verify_client == "required") {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  } else if (options.verify_client != "none") {
    return make_error(ErrorCode::kInvalidArgument,
                      "restapi.verify_client must be none, optional or required, not '" +
                          options.verify_client + "'");
  }
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  static const unsigned char kSessionContext[] = "pghalo-rest";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

Result<std::unique_ptr<TlsContext>> TlsContext::create(TlsOptions options) {
  auto ctx = build_server_context(options);
  if (!ctx.ok()) return ctx.error();
  return std::unique_ptr<TlsContext>(new TlsContext(std::move(options), std::move(ctx.value())));
}

SslCtxPtr TlsContext::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

Status TlsContext::reload() {
  auto ctx = build_server_context(options_);
  if (!ctx.ok()) return ctx.error();
  std::lock_guard lock(mutex_);
  context_ = std::move(ctx.value());
  return ok_status();
}

}  // namespace pghalo::api
