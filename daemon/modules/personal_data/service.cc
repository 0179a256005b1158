#include "daemon/modules/personal_data/service.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/modules/personal_data/module.h"
#include "daemon/server/reactors.h"

namespace shequ::modules::personal_data {

using engine::json;
using server::OnRevealingReader;
using server::Refuse;


grpc::ServerUnaryReactor* PersonalDataService::Export(grpc::CallbackServerContext* ctx,
                                                      const v1::ExportPersonalDataRequest* req,
                                                      v1::ExportPersonalDataResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.PersonalData/Export", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  // Everything about one person leaves unmasked: only after its audit entry has committed (the
  // entry names the export, never the ID number).
  return OnRevealingReader(
      c_.readers, c_.engine, ctx, *caller,
      [this, id = req->id_number(), resp](std::vector<std::string>* revealed) -> absl::Status {
        ASSIGN_OR_RETURN(json doc, module_.Export(id));
        resp->set_id_number(doc["id_number"].get<std::string>());
        resp->set_exported_at_ms(c_.engine.clock().NowMs());
        resp->set_document(doc.dump());
        revealed->push_back("personal-data:export");
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PersonalDataService::Erase(grpc::CallbackServerContext* ctx,
                                                     const v1::ErasePersonalDataRequest* req,
                                                     v1::ErasePersonalDataResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.PersonalData/Erase", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  module_.Erase(*caller, req->id_number(), req->justification(), req->request_id(),
                server::Answer(r, [this, resp](const json& a) {
                  resp->set_erased_at_ms(c_.engine.clock().NowMs());
                  resp->set_records(a.value("records", int64_t{0}));
                  for (const auto& m : a.value("modules", json::array())) {
                    resp->add_modules(m.get<std::string>());
                  }
                }));
  return r;
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.PersonalData/RotateKey", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  module_.RotateKey(*caller, req->request_id(),
                    server::Answer(r, [this, resp](const json&) { Fill(module_.Status(), resp); }));
  return r;
}

grpc::ServerUnaryReactor* PersonalDataService::GetKeyStatus(grpc::CallbackServerContext* ctx,
                                                            const v1::KeyStatusRequest* req,
                                                            v1::KeyStatus* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.PersonalData/GetKeyStatus", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  Fill(module_.Status(), resp);
  return Refuse(ctx, absl::OkStatus());
}

}  // namespace shequ::modules::personal_data
