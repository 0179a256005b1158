#include "daemon/auth/headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace shequ::auth {

absl::StatusOr<Principal> HeadersAuthenticator::Authenticate(const Credentials& c) const {
  Principal p;
  p.via = "headers";
  p.name = c.user;
  p.unit = c.unit;
  for (absl::string_view r : absl::StrSplit(c.roles, ',', absl::SkipWhitespace())) {
    p.roles.emplace_back(absl::StripAsciiWhitespace(r));
  }
  return p;
}

}  // namespace shequ::auth
