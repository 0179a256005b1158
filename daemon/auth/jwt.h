#pragma once

// JWTs from the district's single sign-on (OIDC ID or access tokens), verified with Debian's
// libjwt against the keys of a JWKS file (docs/security.md "Authentication"). RS256 and ES256
// only: the algorithm must match the key a token's `kid` names, so a token cannot pick HS256 and
// use a public key as its HMAC secret. Then issuer, audience, exp and nbf (with a small leeway),
// and the configured claims give the principal's name, roles and unit.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/auth/principal.h"
#include "daemon/core/config.h"

namespace shequ::auth {

class JwtVerifier {
 public:
  // The public keys of a JWKS document (RSA n/e, EC P-256 x/y), by kid. INVALID_ARGUMENT naming
  // the key at fault; keys of other types or curves are skipped.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> FromJwks(std::string_view jwks,
                                                               AuthConfig::Jwt config);
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Load(const AuthConfig::Jwt& config);

  // The principal a token proves at `now_ms`; UNAUTHENTICATED naming why not: malformed,
  // unsupported algorithm, unknown key id, bad signature, expired, not yet valid, unknown
  // issuer, wrong audience, no name claim.
  absl::StatusOr<Principal> Verify(const std::string& token, int64_t now_ms) const;

  size_t key_count() const { return keys_.size(); }

 private:
  struct Key {
    std::string alg;  // "RS256" or "ES256"
    std::string pem;  // SubjectPublicKeyInfo
  };
  explicit JwtVerifier(AuthConfig::Jwt config) : config_(std::move(config)) {}
  AuthConfig::Jwt config_;
  std::map<std::string, Key> keys_;
};

}  // namespace shequ::auth
