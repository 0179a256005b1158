#pragma once

// The authenticator the daemon runs every call through: it picks how the caller proves who it
// is (docs/security.md "Authentication").
//   authorization: Bearer shq_…     an API token (tokens.h)
//   authorization: Bearer <a.b.c>   a JWT from the district's single sign-on (jwt.h)
//   no bearer, TLS client cert      the certificate's CN or SAN names a principal (mTLS)
//   otherwise, headers mode only    the x-shequ-* metadata (development, loopback only)
//   otherwise                       UNAUTHENTICATED "no credentials: …"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/auth/headers.h"
#include "daemon/auth/principal.h"
#include "daemon/auth/tokens.h"
#include "daemon/core/clock.h"
#include "daemon/core/config.h"

namespace shequ::auth {

class JwtVerifier;

// The bearer credential of a call: nullopt when it sends no authorization header;
// UNAUTHENTICATED when the header is not "Bearer <credential>".
absl::StatusOr<std::optional<std::string>> BearerOf(const Credentials& credentials);

class ChainAuthenticator final : public Authenticator {
 public:
  struct Options {
    const Directory* directory = nullptr;  // null: no API tokens, no mTLS principals
    const JwtVerifier* jwt = nullptr;      // null: JWTs are refused
    std::string mtls_identity = "cn";
    bool headers = false;                  // development mode
  };
  ChainAuthenticator(const Clock& clock, Options options);

  using Authenticator::Authenticate;
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const override;

  // An API token or a JWT, as sent after "Bearer ".
  absl::StatusOr<Principal> AuthenticateBearer(const std::string& credential) const;

 private:
  const Clock& clock_;
  Options options_;
  HeadersAuthenticator headers_;
};

// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopback(const std::string& host);
// The host of a "host:port" listen address ("[::1]:7070" -> "::1").
std::string HostOf(const std::string& address);

// Builds the daemon's authenticator from config. Refuses headers mode on a listener that is not
// loopback, and a JWT setup whose key file cannot be read. Keeps what it builds alive with it.
absl::StatusOr<std::unique_ptr<Authenticator>> BuildAuthenticator(const Config& config,
                                                                  const Directory* directory,
                                                                  const Clock& clock);

}  // namespace shequ::auth
