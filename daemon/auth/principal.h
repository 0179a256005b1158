#pragma once

// Who is calling: a principal (a person or a department's system) with roles and a unit scope,
// proven by an API token, a JWT from the district's single sign-on, an mTLS client certificate,
// or (development only, loopback only) the x-shequ-* metadata headers. docs/security.md.

#include <cstdint>
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

// Proves who is calling from a call's credentials. UNAUTHENTICATED names why (no credentials,
// expired, revoked, bad signature, unknown issuer). Thread-safe; called on gRPC's threads, so it
// never blocks on the store.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& call) const = 0;
};

}  // namespace shequ::auth
