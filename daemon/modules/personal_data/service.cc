#include "daemon/modules/personal_data/service.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/modules/personal_data/module.h"
#include "daemon/server/reactors.h"

namespace shequ::modules::personal_data {

using engine::json;
using server::CallerOf;
using server::OnReader;
using server::Refuse;

namespace {

// The roles that see personal data unmasked are the roles that may export or manage it.
absl::Status MayManage(const PersonalDataPolicy& policy, const engine::Caller& caller,
                       const char* what) {
  if (policy.MaySee(caller)) return absl::OkStatus();
  std::string roles;
  for (const auto& r : policy.roles()) absl::StrAppend(&roles, roles.empty() ? "" : ", ", r);
  return absl::PermissionDeniedError(
      absl::StrCat(what, ": only the roles that see personal data unmasked (", roles, ") may"));
}

}  // namespace

grpc::ServerUnaryReactor* PersonalDataService::Export(grpc::CallbackServerContext* ctx,
                                                      const v1::ExportPersonalDataRequest* req,
                                                      v1::ExportPersonalDataResponse* resp) {
  if (auto s = MayManage(policy_, CallerOf(ctx), "export"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_.readers, ctx, [this, id = req->id_number(), resp]() -> absl::Status {
    ASSIGN_OR_RETURN(json doc, module_.Export(id));
    resp->set_id_number(doc["id_number"].get<std::string>());
    resp->set_exported_at_ms(c_.engine.clock().NowMs());
    resp->set_document(doc.dump());
    return absl::OkStatus();
  });
}

namespace {
void Fill(const PersonalDataModule::KeyStatus& s, v1::KeyStatus* out) {
  out->set_current_key_id(s.current_key_id);
  for (uint32_t id : s.key_ids) out->add_key_ids(id);
  out->set_resealing(s.resealing);
  out->set_resealed(s.resealed);
  out->set_detail(s.detail);
}
}  // namespace

grpc::ServerUnaryReactor* PersonalDataService::RotateKey(grpc::CallbackServerContext* ctx,
                                                         const v1::RotateKeyRequest* req,
                                                         v1::KeyStatus* resp) {
  const engine::Caller caller = CallerOf(ctx);
  if (auto s = MayManage(policy_, caller, "key rotation"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  module_.RotateKey(caller, req->request_id(),
                    server::Answer(r, [this, resp](const json&) { Fill(module_.Status(), resp); }));
  return r;
}

grpc::ServerUnaryReactor* PersonalDataService::GetKeyStatus(grpc::CallbackServerContext* ctx,
                                                            const v1::KeyStatusRequest*,
                                                            v1::KeyStatus* resp) {
  if (auto s = MayManage(policy_, CallerOf(ctx), "key status"); !s.ok()) return Refuse(ctx, s);
  Fill(module_.Status(), resp);
  return Refuse(ctx, absl::OkStatus());
}

}  // namespace shequ::modules::personal_data
