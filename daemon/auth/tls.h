#pragma once

// TLS on the gRPC port (config `tls:`; docs/security.md "TLS and client certificates"). With a
// client CA, a client certificate is requested and verified: one the CA did not sign fails the
// handshake; a client without one may still come with a bearer token.

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/core/config.h"

namespace shequ::auth {

// The files of `tls`, read and checked (the key belongs to the certificate, the CA parses).
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;
  std::string client_ca_pem;  // "" = no client certificates
};
absl::StatusOr<TlsFiles> LoadTls(const TlsConfig& tls);

// Insecure credentials when `tls.cert` is empty; otherwise TLS with these files.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsConfig& tls);

}  // namespace shequ::auth
