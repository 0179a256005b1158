#pragma once

#include "daemon/auth/principal.h"

namespace shequ::auth {

// Development mode: the caller is whoever the x-shequ-user, x-shequ-roles (comma-separated)
// and x-shequ-unit metadata say it is. Never proof of anything; allowed only with an explicit
// `auth: headers` setting on a loopback listener.
class HeadersAuthenticator final : public Authenticator {
 public:
  using Authenticator::Authenticate;
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const override;
};

}  // namespace shequ::auth
