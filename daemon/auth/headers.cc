#include "daemon/auth/headers.h"

#include <grpcpp/server_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace shequ::auth {
namespace {

std::string Metadata(const grpc::ServerContextBase& call, const char* key) {
  const auto& md = call.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<Principal> HeadersAuthenticator::Authenticate(
    const grpc::ServerContextBase& call) const {
  Principal p;
  p.via = "headers";
  p.name = Metadata(call, "x-shequ-user");
  p.unit = Metadata(call, "x-shequ-unit");
  for (absl::string_view r :
       absl::StrSplit(Metadata(call, "x-shequ-roles"), ',', absl::SkipWhitespace())) {
    p.roles.emplace_back(absl::StripAsciiWhitespace(r));
  }
  return p;
}

}  // namespace shequ::auth
