// What the client itself can tell about a rejected client certificate. etcd answers a missing,
// expired or untrusted client certificate with the same TLS alert; looking at our own files says
// which it is. Not a verifier: chains and CAs are checked by the TLS handshake only.
// Reads files only; thread-safe.
#pragma once

#include <string>

#include "common/clock.h"
#include "dcs/etcd/curl_session.h"

namespace pghalo::dcs::etcd {

// "" when nothing is known to be wrong; otherwise a clause such as "no client certificate is
// configured" or "the client certificate /etc/x.crt expired on 2020-01-02 00:00:00 UTC".
std::string diagnose_client_certificate(const TlsSettings& tls, WallTime now);

}  // namespace pghalo::dcs::etcd
