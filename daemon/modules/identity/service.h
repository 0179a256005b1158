#pragma once

// shequ.v1.Principals: principals, their API tokens, and WhoAmI.

#include "daemon/auth/principal.h"
#include "daemon/modules/identity/durable_directory.h"
#include "daemon/server/services.h"
#include "shequ/v1/principals.grpc.pb.h"

namespace shequ::modules::identity {

// Who may do what here, until the authorisation table's Gate admits every call: only a
// district-admin manages principals and issues tokens; anyone authenticated may ask WhoAmI and
// list or revoke their own tokens.
class PrincipalsAccess {
 public:
  static constexpr char kAdminRole[] = "district-admin";
  static absl::Status Manage(const engine::Caller& caller);
  static absl::Status OwnTokens(const engine::Caller& caller, const std::string& principal);
};

class PrincipalsService final : public v1::Principals::CallbackService {
 public:
  PrincipalsService(server::ServiceContext& c, DurableDirectory& directory, int64_t token_ttl_ms)
      : c_(c), directory_(directory), token_ttl_ms_(token_ttl_ms) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext*, const v1::PutPrincipalRequest*,
                                v1::Principal*) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListPrincipalsRequest*,
                                 v1::ListPrincipalsResponse*) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext*,
                                        const v1::CreateTokenRequest*,
                                        v1::CreateTokenResponse*) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext*, const v1::ListTokensRequest*,
                                       v1::ListTokensResponse*) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext*,
                                        const v1::RevokeTokenRequest*,
                                        v1::RevokeTokenResponse*) override;
  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext*, const v1::WhoAmIRequest*,
                                   v1::Principal*) override;

 private:
  // The proven caller, admitted by the gate for `method`.
  absl::StatusOr<engine::Caller> Caller(grpc::CallbackServerContext* ctx, std::string_view method,
                                        const google::protobuf::Message& request) const;

  server::ServiceContext& c_;
  DurableDirectory& directory_;
  const int64_t token_ttl_ms_;
};

void ToProto(const auth::PrincipalRecord& p, v1::Principal* out);
void ToProto(const auth::TokenRecord& t, v1::Token* out);

}  // namespace shequ::modules::identity
