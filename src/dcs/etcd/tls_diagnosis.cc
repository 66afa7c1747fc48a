#include "dcs/etcd/tls_diagnosis.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace pghalo::dcs::etcd {
namespace {

std::string format_asn1_time(const ASN1_TIME* time) {
  struct tm parts {};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

}  // namespace

std::string diagnose_client_certificate(const TlsSettings& tls, WallTime now) {
  if (tls.cert.empty()) return "no client certificate is configured";
  std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(tls.cert.c_str(), "r"), BIO_free);
  if (!file) return "";
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return "";
  std::time_t at = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &at) < 0) {
    return "the client certificate " + tls.cert + " expired on " +
           format_asn1_time(X509_get0_notAfter(cert.get()));
  }
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), &at) > 0) {
    return "the client certificate " + tls.cert + " is not valid before " +
           format_asn1_time(X509_get0_notBefore(cert.get()));
  }
  return "";
}

}  // namespace pghalo::dcs::etcd
