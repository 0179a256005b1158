#include "daemon/auth/chain.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/auth/jwt.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"

namespace shequ::auth {
namespace {

constexpr char kNoCredentials[] = "no credentials: send authorization: Bearer <token>";

}  // namespace

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

std::string HostOf(const std::string& addr) {
  std::string host = addr.substr(0, addr.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

Credentials CredentialsOf(const grpc::ServerContextBase& call) {
  Credentials c;
  const auto& md = call.client_metadata();
  auto value = [&md](const char* key) -> std::optional<std::string> {
    auto it = md.find(key);
    if (it == md.end()) return std::nullopt;
    return std::string(it->second.data(), it->second.size());
  };
  c.authorization = value("authorization");
  c.user = value("x-shequ-user").value_or("");
  c.roles = value("x-shequ-roles").value_or("");
  c.unit = value("x-shequ-unit").value_or("");
  std::shared_ptr<const grpc::AuthContext> auth = call.auth_context();
  if (auth && auth->IsPeerAuthenticated()) {
    auto first = [&auth](const char* property) -> std::optional<std::string> {
      for (const grpc::string_ref& v : auth->FindPropertyValues(property)) {
        if (v.size() > 0) return std::string(v.data(), v.size());
      }
      return std::nullopt;
    };
    c.certificate_cn = first(GRPC_X509_CN_PROPERTY_NAME);
    c.certificate_san = first(GRPC_X509_SAN_PROPERTY_NAME);
  }
  return c;
}

absl::StatusOr<std::optional<std::string>> BearerOf(const Credentials& credentials) {
  if (!credentials.authorization) return std::nullopt;
  const std::string& value = *credentials.authorization;
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(value).substr(0, kBearer.size()), kBearer)) {
    return absl::UnauthenticatedError("authorization: expected \"Bearer <token>\"");
  }
  return std::string(absl::StripAsciiWhitespace(absl::string_view(value).substr(kBearer.size())));
}

ChainAuthenticator::ChainAuthenticator(const Clock& clock, Options options)
    : clock_(clock), options_(std::move(options)) {}

absl::StatusOr<Principal> ChainAuthenticator::AuthenticateBearer(
    const std::string& credential) const {
  if (absl::StartsWith(credential, kTokenPrefix)) {
    if (!options_.directory) {
      return absl::UnauthenticatedError("API tokens are not available on this daemon");
    }
    return options_.directory->AuthenticateToken(credential, clock_.NowMs());
  }
  if (std::count(credential.begin(), credential.end(), '.') == 2) {
    if (!options_.jwt) {
      return absl::UnauthenticatedError(
          "JWT refused: no single sign-on keys configured (auth.jwt.jwks_file)");
    }
    return options_.jwt->Verify(credential, clock_.NowMs());
  }
  return absl::UnauthenticatedError(
      "malformed bearer credential: neither an API token (shq_…) nor a JWT");
}

absl::StatusOr<Principal> ChainAuthenticator::Authenticate(const Credentials& call) const {
  auto bearer = BearerOf(call);
  if (!bearer.ok()) return bearer.status();
  if (bearer->has_value()) return AuthenticateBearer(**bearer);
  const std::optional<std::string>& name =
      options_.mtls_identity == "san" ? call.certificate_san : call.certificate_cn;
  if (name) {
    if (!options_.directory) {
      return absl::UnauthenticatedError("client certificates are not mapped on this daemon");
    }
    auto p = options_.directory->Resolve(*name, "mtls", clock_.NowMs());
    if (!p.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("client certificate ", *name, ": ", p.status().message()));
    }
    return p;
  }
  if (options_.headers) return headers_.Authenticate(call);
  return absl::UnauthenticatedError(kNoCredentials);
}

namespace {

// The chain and what it refers to, alive together.
class Built final : public Authenticator {
 public:
  Built(const Clock& clock, ChainAuthenticator::Options options,
        std::unique_ptr<JwtVerifier> jwt)
      : jwt_(std::move(jwt)), chain_(clock, WithJwt(std::move(options), jwt_.get())) {}
  using Authenticator::Authenticate;
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const override {
    return chain_.Authenticate(credentials);
  }

 private:
  static ChainAuthenticator::Options WithJwt(ChainAuthenticator::Options o,
                                             const JwtVerifier* jwt) {
    o.jwt = jwt;
    return o;
  }
  std::unique_ptr<JwtVerifier> jwt_;
  ChainAuthenticator chain_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> BuildAuthenticator(const Config& config,
                                                                  const Directory* directory,
                                                                  const Clock& clock) {
  auto log = Logger("auth");
  ChainAuthenticator::Options options;
  options.directory = directory;
  options.mtls_identity = config.auth.mtls.identity;
  if (config.auth.mode == "headers") {
    for (const std::string* address : {&config.listen, &config.http}) {
      if (!IsLoopback(HostOf(*address))) {
        return absl::FailedPreconditionError(absl::StrCat(
            "auth: headers: the x-shequ-* headers prove nothing, so they are accepted only on "
            "loopback listeners; ", address == &config.listen ? "listen" : "http", " is ",
            *address, " (use 127.0.0.1, or API tokens: auth: tokens)"));
      }
    }
    options.headers = true;
    log->warn("auth: headers: development mode: a call without credentials is whoever its "
              "x-shequ-user/-roles/-unit metadata say (loopback {} and {} only)",
              config.listen, config.http);
  }
  std::unique_ptr<JwtVerifier> jwt;
  if (!config.auth.jwt.jwks_file.empty()) {
    ASSIGN_OR_RETURN(jwt, JwtVerifier::Load(config.auth.jwt));
    log->info("auth: JWTs of {} for {} accepted, {} keys from {}", config.auth.jwt.issuer,
              config.auth.jwt.audiences.front(), jwt->key_count(), config.auth.jwt.jwks_file);
  }
  return std::make_unique<Built>(clock, std::move(options), std::move(jwt));
}

}  // namespace shequ::auth
