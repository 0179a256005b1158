#pragma once

// Who is calling: a principal (a person or a department's system) with roles and a unit scope,
// proven by an API token, a JWT from the district's single sign-on, an mTLS client certificate,
// or (development only, loopback only) the x-shequ-* metadata headers. docs/security.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace shequ::auth {

struct Principal {
  std::string name;                // "wang.li", "system:civil-affairs"
  std::vector<std::string> roles;  // "leading-group", "street-office", "personnel", …
  std::string unit;                // acts for this unit and the units under it; "" = none
  std::string via;                 // how it was proven: "token", "jwt", "mtls", "headers"
  std::string credential;          // the API token's id (revocation closes its streams); or ""
  int64_t expires_at_ms = 0;       // when the credential expires; 0 = never

  bool HasRole(std::string_view role) const {
    for (const auto& r : roles) {
      if (r == role) return true;
    }
    return false;
  }
};

// What a call presents to prove who is calling, whatever carried it (a gRPC call's metadata and
// TLS session, or an HTTP request's headers and TLS session).
struct Credentials {
  std::optional<std::string> authorization;  // the `authorization` header as sent; nullopt: none
  // Of a TLS client certificate the configured client CA verified; nullopt: none.
  std::optional<std::string> certificate_cn;
  std::optional<std::string> certificate_san;  // its first subject alternative name
  // x-shequ-user, x-shequ-roles, x-shequ-unit: development mode only.
  std::string user, roles, unit;
};
// The credentials of a gRPC call.
Credentials CredentialsOf(const grpc::ServerContextBase& call);

// Proves who is calling from a call's credentials. UNAUTHENTICATED names why (no credentials,
// expired, revoked, bad signature, unknown issuer). Thread-safe; called on gRPC's threads, so it
// never blocks on the store.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const = 0;
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& call) const {
    return Authenticate(CredentialsOf(call));
  }
};

}  // namespace shequ::auth
