#include "daemon/modules/identity/service.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/duration.h"
#include "daemon/core/status.h"
#include "daemon/server/reactors.h"

namespace shequ::modules::identity {

using server::Refuse;
using server::ToGrpc;

absl::Status PrincipalsAccess::Manage(const engine::Caller& caller) {
  if (caller.HasRole(kAdminRole)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("only a ", kAdminRole, " manages principals and issues API tokens"));
}

absl::Status PrincipalsAccess::OwnTokens(const engine::Caller& caller,
                                         const std::string& principal) {
  if (caller.HasRole(kAdminRole) || (!principal.empty() && principal == caller.user)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(caller.user.empty() ? "an anonymous caller" : caller.user,
                   " may see and revoke only their own API tokens"));
}

void ToProto(const auth::PrincipalRecord& p, v1::Principal* out) {
  out->set_name(p.name);
  out->set_display_name(p.display_name);
  for (const auto& g : p.roles) {
    auto* r = out->add_roles();
    r->set_role(g.role);
    r->set_expires_at_ms(g.expires_at_ms);
  }
  out->set_unit(p.unit);
  out->set_kind(p.kind);
  out->set_disabled(p.disabled);
  out->set_created_at_ms(p.created_at_ms);
  out->set_updated_at_ms(p.updated_at_ms);
}

void ToProto(const auth::TokenRecord& t, v1::Token* out) {
  out->set_id(t.id);
  out->set_principal(t.principal);
  out->set_description(t.description);
  out->set_created_at_ms(t.created_at_ms);
  out->set_expires_at_ms(t.expires_at_ms);
  out->set_revoked_at_ms(t.revoked_at_ms);
  out->set_created_by(t.created_by);
  out->set_last_used_at_ms(t.last_used_at_ms);
}

absl::StatusOr<engine::Caller> PrincipalsService::Caller(
    grpc::CallbackServerContext* ctx, std::string_view method,
    const google::protobuf::Message& request) const {
  return c_.gate.Admit(*ctx, method, request);
}

grpc::ServerUnaryReactor* PrincipalsService::Put(grpc::CallbackServerContext* ctx,
                                                 const v1::PutPrincipalRequest* req,
                                                 v1::Principal* resp) {
  auto caller = Caller(ctx, "shequ.v1.Principals/Put", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = PrincipalsAccess::Manage(*caller); !s.ok()) return Refuse(ctx, s);
  const v1::Principal& in = req->principal();
  auth::PrincipalRecord p;
  p.name = in.name();
  p.display_name = in.display_name();
  p.kind = in.kind();
  p.unit = in.unit();
  p.disabled = in.disabled();
  for (const auto& g : in.roles()) p.roles.push_back({g.role(), g.expires_at_ms()});
  auto* r = ctx->DefaultReactor();
  directory_.PutPrincipal(*caller, req->request_id(), std::move(p),
                          [r, resp](absl::StatusOr<auth::PrincipalRecord> out) {
                            if (out.ok()) ToProto(*out, resp);
                            r->Finish(ToGrpc(out.status()));
                          });
  return r;
}

grpc::ServerUnaryReactor* PrincipalsService::List(grpc::CallbackServerContext* ctx,
                                                  const v1::ListPrincipalsRequest* req,
                                                  v1::ListPrincipalsResponse* resp) {
  auto caller = Caller(ctx, "shequ.v1.Principals/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = PrincipalsAccess::Manage(*caller); !s.ok()) return Refuse(ctx, s);
  for (const auto& p : directory_.directory().Principals()) {
    if (!req->unit().empty() && p.unit != req->unit()) continue;
    if (!req->role().empty()) {
      bool has = false;
      for (const auto& g : p.roles) has = has || g.role == req->role();
      if (!has) continue;
    }
    ToProto(p, resp->add_principals());
  }
  return Refuse(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PrincipalsService::CreateToken(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateTokenRequest* req,
                                                         v1::CreateTokenResponse* resp) {
  auto caller = Caller(ctx, "shequ.v1.Principals/CreateToken", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = PrincipalsAccess::Manage(*caller); !s.ok()) return Refuse(ctx, s);
  if (req->principal().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("principal: name the principal"));
  }
  int64_t ttl_ms = token_ttl_ms_;
  if (!req->expires_in().empty()) {
    auto d = ParseDuration(req->expires_in());
    if (!d.ok() || d->working_days != 0 || d->ms <= 0) {
      return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                             "expires_in: '", req->expires_in(),
                             "': expected a positive ISO 8601 duration such as P90D or PT1H")));
    }
    ttl_ms = d->ms;
  }
  auto* r = ctx->DefaultReactor();
  directory_.CreateToken(*caller, req->request_id(), req->principal(), req->description(),
                         ttl_ms, [r, resp](absl::StatusOr<auth::IssuedToken> out) {
                           if (out.ok()) {
                             ToProto(out->record, resp->mutable_token());
                             resp->set_secret(out->text);
                           }
                           r->Finish(ToGrpc(out.status()));
                         });
  return r;
}

grpc::ServerUnaryReactor* PrincipalsService::ListTokens(grpc::CallbackServerContext* ctx,
                                                        const v1::ListTokensRequest* req,
                                                        v1::ListTokensResponse* resp) {
  auto caller = Caller(ctx, "shequ.v1.Principals/ListTokens", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  // A caller who is not an administrator lists their own, named or not.
  const std::string principal =
      req->principal().empty() && !caller->HasRole(PrincipalsAccess::kAdminRole) ? caller->user
                                                                                 : req->principal();
  if (!principal.empty() || !caller->HasRole(PrincipalsAccess::kAdminRole)) {
    if (auto s = PrincipalsAccess::OwnTokens(*caller, principal); !s.ok()) return Refuse(ctx, s);
  }
  for (const auto& t : directory_.directory().Tokens(principal)) {
    if (t.revoked_at_ms != 0 && !req->include_revoked()) continue;
    ToProto(t, resp->add_tokens());
  }
  return Refuse(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PrincipalsService::RevokeToken(grpc::CallbackServerContext* ctx,
                                                         const v1::RevokeTokenRequest* req,
                                                         v1::RevokeTokenResponse* resp) {
  auto caller = Caller(ctx, "shequ.v1.Principals/RevokeToken", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->id().empty()) return Refuse(ctx, absl::InvalidArgumentError("id: name the token"));
  const auto token = directory_.directory().GetToken(req->id());
  if (!token) return Refuse(ctx, absl::NotFoundError(absl::StrCat("id: no API token ", req->id())));
  if (auto s = PrincipalsAccess::OwnTokens(*caller, token->principal); !s.ok()) {
    return Refuse(ctx, s);
  }
  auto* r = ctx->DefaultReactor();
  directory_.RevokeToken(*caller, req->request_id(), req->id(),
                         [r, resp](absl::StatusOr<auth::TokenRecord> out) {
                           if (out.ok()) ToProto(*out, resp->mutable_token());
                           r->Finish(ToGrpc(out.status()));
                         });
  return r;
}

grpc::ServerUnaryReactor* PrincipalsService::WhoAmI(grpc::CallbackServerContext* ctx,
                                                    const v1::WhoAmIRequest* req,
                                                    v1::Principal* resp) {
  if (auto admitted = Caller(ctx, "shequ.v1.Principals/WhoAmI", *req); !admitted.ok()) {
    return Refuse(ctx, admitted.status());
  }
  // The principal as proven, with how (`via`).
  auto caller = c_.authenticator.Authenticate(*ctx);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  // The roles that count now (an expired grant is left out); the record adds what it holds.
  if (auto rec = directory_.directory().GetPrincipal(caller->name);
      rec && caller->via != "jwt" && caller->via != "headers") {
    resp->set_display_name(rec->display_name);
    resp->set_kind(rec->kind);
    resp->set_created_at_ms(rec->created_at_ms);
    resp->set_updated_at_ms(rec->updated_at_ms);
    const int64_t now = directory_.clock().NowMs();
    for (const auto& g : rec->roles) {
      if (g.expires_at_ms != 0 && now >= g.expires_at_ms) continue;
      auto* r = resp->add_roles();
      r->set_role(g.role);
      r->set_expires_at_ms(g.expires_at_ms);
    }
  } else {
    for (const auto& role : caller->roles) resp->add_roles()->set_role(role);
  }
  resp->set_name(caller->name);
  resp->set_unit(caller->unit);
  resp->set_via(caller->via);
  return Refuse(ctx, absl::OkStatus());
}

}  // namespace shequ::modules::identity
