#include "daemon/modules/recruitment/service.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/engine/model.h"
#include "daemon/modules/recruitment/convert.h"
#include "daemon/server/reactors.h"
#include "daemon/server/step_tasks.h"

namespace shequ::modules::recruitment {

using server::Answer;
using server::OnReader;
using server::OnRevealingReader;
using server::Refuse;
using server::ToGrpc;
using engine::json;

namespace {

// Whose answer reveals personal data unmasked, for the audit trail; none when it is masked.
std::optional<engine::Caller> Revealer(const engine::Caller& caller, bool personal) {
  if (!personal) return std::nullopt;
  return caller;  // the gate named its call
}

std::string ApplicationResource(const std::string& campaign_id, int64_t id) {
  return absl::StrCat("application:", campaign_id, "/", id);
}

// An application goes to the campaign log as given: JSON with the proto's field names.
json ToJson(const google::protobuf::Message& msg) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(msg, &text, opts);
  return json::parse(text, nullptr, false);
}

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// A check or withdrawal's answer (the command's JSON reply): who left and who took the place.
void FillCheck(const json& a, v1::CheckResponse* resp) {
  resp->set_removed_id(Int(a, "removed_id"));
  resp->set_promoted_id(Int(a, "promoted_id"));
}

absl::Status Required(const std::string& value, const char* field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  return absl::OkStatus();
}

}  // namespace

bool RecruitmentService::MaySeePersonal(const engine::Caller& caller,
                                        const std::string& campaign_id) const {
  if (!personal_data_.MaySee(caller)) return false;
  auto campaign = rec_.Campaign(campaign_id);
  return campaign.ok() && c_.gate.ActsFor(caller, campaign->spec.street_unit_id);
}

// ---- Campaigns -----------------------------------------------------------------------------

grpc::ServerUnaryReactor* RecruitmentService::CreateCampaign(Ctx* ctx,
                                                             const v1::CreateCampaignRequest* req,
                                                             v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/CreateCampaign", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rec_.Create(*caller,
              [spec = req->campaign()](const rc::RecruitmentPolicy& policy) {
                return SpecFromProto(spec, policy);
              },
              req->request_id(),
              Answer(r, [this, resp](const json& a) -> absl::Status {
                return FillCampaign(a["campaign_id"].get<std::string>(), resp);
              }));
  return r;
}

absl::Status RecruitmentService::FillCampaign(const std::string& id, v1::Campaign* resp) {
  ASSIGN_OR_RETURN(CampaignView c, rec_.Campaign(id));
  ToProto(c, resp);
  // The open steps: the tasks of the campaign's workflow waiting for someone.
  if (c.instance_id) {
    store::TaskFilter f;
    f.instance_id = c.instance_id;
    ASSIGN_OR_RETURN(auto tasks, c_.store.ListTasks(f, {0, 100}));
    for (const auto& row : tasks) {
      OpenStepToProto(engine::FromRow(row), resp->add_open_steps());
    }
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RecruitmentService::GetCampaign(Ctx* ctx,
                                                          const v1::GetCampaignRequest* req,
                                                          v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/GetCampaign", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, id = req->id(), resp] { return FillCampaign(id, resp); });
}

grpc::ServerUnaryReactor* RecruitmentService::ListCampaigns(Ctx* ctx,
                                                            const v1::ListCampaignsRequest* req,
                                                            v1::ListCampaignsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/ListCampaigns", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, req, resp]() -> absl::Status {
    for (const CampaignView& c : rec_.ListCampaigns(req->street_unit_id(), req->state())) {
      ToProto(c, resp->add_campaigns());
    }
    return absl::OkStatus();
  });
}

// ---- Steps: the campaign's workflow tasks --------------------------------------------------

void RecruitmentService::CompleteStep(Reactor* r, const engine::Caller& caller,
                                      int64_t instance_id, const std::string& node,
                                      const std::string& what, std::string outcome,
                                      json variables, std::string comment,
                                      std::string request_id,
                                      std::function<absl::Status(const json&)> done) {
  server::CompleteStepTask(
      c_, r, caller, instance_id, {node}, absl::StrCat("step '", node, "' of ", what),
      {0, std::move(outcome), std::move(variables), std::move(comment), std::move(request_id)},
      [this, instance_id, done = std::move(done)]() -> absl::Status {
        ASSIGN_OR_RETURN(auto row, c_.store.GetInstance(instance_id));
        if (!row) return absl::InternalError("the workflow instance vanished");
        const json vars = engine::FromRow(*row).variables;
        // The step's own refusal: the task is open again, the campaign did not move.
        if (auto it = vars.find("refused"); it != vars.end() && it->is_string()) {
          return absl::FailedPreconditionError(it->get<std::string>());
        }
        return done(vars);
      });
}

grpc::ServerUnaryReactor* RecruitmentService::CampaignStep(Ctx* ctx,
                                                           const engine::Caller& caller,
                                                           const std::string& campaign_id,
                                                           const std::string& node,
                                                           std::string outcome, json variables,
                                                           std::string comment,
                                                           std::string request_id,
                                                           v1::Campaign* resp) {
  if (auto s = Required(campaign_id, "campaign_id"); !s.ok()) return Refuse(ctx, s);
  const int64_t instance = rec_.InstanceOf(campaign_id);
  if (!instance) {
    return Refuse(ctx, absl::NotFoundError(
                           absl::StrCat("campaign_id: no campaign '", campaign_id, "'")));
  }
  auto* r = ctx->DefaultReactor();
  CompleteStep(r, caller, instance, node, "campaign " + campaign_id, std::move(outcome),
               std::move(variables), std::move(comment), std::move(request_id),
               [this, campaign_id, resp](const json&) { return FillCampaign(campaign_id, resp); });
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::ApproveCampaign(Ctx* ctx,
                                                              const v1::StepRequest* req,
                                                              v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/ApproveCampaign", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->outcome() != "approved" && req->outcome() != "rejected") {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "outcome: '", req->outcome(), "' is not approved or rejected")));
  }
  return CampaignStep(ctx, *caller, req->campaign_id(), "approve", req->outcome(),
                      {{"comment", req->comment()}}, req->comment(), req->request_id(), resp);
}

grpc::ServerUnaryReactor* RecruitmentService::FinishReview(Ctx* ctx, const v1::StepRequest* req,
                                                           v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/FinishReview", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return CampaignStep(ctx, *caller, req->campaign_id(), "review", "", json::object(), req->comment(),
                      req->request_id(), resp);
}

grpc::ServerUnaryReactor* RecruitmentService::DecideShortfall(
    Ctx* ctx, const v1::DecideShortfallRequest* req, v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/DecideShortfall", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  const bool extend = !req->extend_until().empty();
  if (extend == (req->cut_size() > 0)) {
    return Refuse(ctx, absl::InvalidArgumentError(
                           "cut, extend_until: give the posts to cut or a new closing date"));
  }
  json vars = json::object();
  if (extend) {
    vars["extend_until"] = req->extend_until();
  } else {
    vars["cut"] = json::array();
    for (const auto& c : req->cut()) vars["cut"].push_back({{"post_id", c.post_id()}, {"count", c.count()}});
  }
  return CampaignStep(ctx, *caller, req->campaign_id(), "shortfall", extend ? "extend" : "cut",
                      std::move(vars), req->comment(), req->request_id(), resp);
}

grpc::ServerUnaryReactor* RecruitmentService::Shortlist(Ctx* ctx, const v1::StepRequest* req,
                                                        v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/Shortlist", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return CampaignStep(ctx, *caller, req->campaign_id(), "written", "", json::object(), req->comment(),
                      req->request_id(), resp);
}

grpc::ServerUnaryReactor* RecruitmentService::Rank(Ctx* ctx, const v1::StepRequest* req,
                                                   v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/Rank", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return CampaignStep(ctx, *caller, req->campaign_id(), "interview", "", json::object(), req->comment(),
                      req->request_id(), resp);
}

grpc::ServerUnaryReactor* RecruitmentService::StartNotice(Ctx* ctx, const v1::StepRequest* req,
                                                          v1::Campaign* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/StartNotice", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return CampaignStep(ctx, *caller, req->campaign_id(), "checks", "", json::object(), req->comment(),
                      req->request_id(), resp);
}

// ---- Applications --------------------------------------------------------------------------

grpc::ServerUnaryReactor* RecruitmentService::Apply(Ctx* ctx, const v1::ApplyRequest* req,
                                                    v1::ApplyResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/Apply", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = Required(req->campaign_id(), "campaign_id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "apply",
               {{"application", ToJson(req->application())}}, req->request_id(),
               Answer(r, [resp](const json& a) {
                 resp->set_application_id(a.value("application_id", int64_t{0}));
               }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::ListApplications(
    Ctx* ctx, const v1::ListApplicationsRequest* req, v1::ListApplicationsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/ListApplications", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  const int limit = req->limit() <= 0 ? 100 : std::min(req->limit(), 1000);
  const bool personal = MaySeePersonal(*caller, req->campaign_id());
  return OnRevealingReader(
      c_.readers, c_.engine, ctx,
      Revealer(*caller, personal),
      [this, req, resp, limit, personal](std::vector<std::string>* revealed) -> absl::Status {
        ASSIGN_OR_RETURN(auto list, rec_.Applications(req->campaign_id(), req->post_id(),
                                                      req->status(), req->after_id(), limit));
        for (const auto& a : list) {
          ToProto(a, personal, resp->add_applications());
          revealed->push_back(ApplicationResource(req->campaign_id(), a.id));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RecruitmentService::ReviewApplication(
    Ctx* ctx, const v1::ReviewApplicationRequest* req, v1::Application* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/ReviewApplication", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "review",
               {{"application_id", req->application_id()},
                {"eligible", req->eligible()},
                {"reason", req->reason()}},
               req->request_id(),
               Answer(r, [this, resp, id = req->application_id(), campaign = req->campaign_id(),
                          c = *caller](const json&) -> absl::Status {
                 const bool personal = MaySeePersonal(c, campaign);
                 ASSIGN_OR_RETURN(auto a, rec_.Application(campaign, id));
                 ToProto(a, personal, resp);
                 return absl::OkStatus();
               }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::ImportScores(Ctx* ctx,
                                                           const v1::ImportScoresRequest* req,
                                                           v1::ImportScoresResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/ImportScores", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = Required(req->csv(), "csv"); !s.ok()) return Refuse(ctx, s);
  const int64_t rows = std::count(req->csv().begin(), req->csv().end(), '\n') +
                       (req->csv().back() == '\n' ? 0 : 1) - 1;  // lines after the header
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "scores_csv", {{"csv", req->csv()}},
               req->request_id(), Answer(r, [resp, rows](const json&) { resp->set_rows(rows); }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::GetRanking(Ctx* ctx,
                                                         const v1::GetRankingRequest* req,
                                                         v1::Ranking* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/GetRanking", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  const bool personal = MaySeePersonal(*caller, req->campaign_id());
  return OnRevealingReader(
      c_.readers, c_.engine, ctx, Revealer(*caller, personal),
      [this, req, resp, personal](std::vector<std::string>* revealed) -> absl::Status {
        ASSIGN_OR_RETURN(auto list, rec_.Ranking(req->campaign_id(), req->post_id()));
        for (const auto& a : list) {
          ToProto(a, personal, resp->add_applications());
          revealed->push_back(ApplicationResource(req->campaign_id(), a.id));
        }
        return absl::OkStatus();
      });
}

// ---- Checks and objections -----------------------------------------------------------------

grpc::ServerUnaryReactor* RecruitmentService::RecordCheck(Ctx* ctx,
                                                          const v1::RecordCheckRequest* req,
                                                          v1::CheckResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/RecordCheck", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "check",
               {{"application_id", req->application_id()},
                {"kind", req->kind()},
                {"passed", req->passed()},
                {"reason", req->reason()}},
               req->request_id(), Answer(r, [resp](const json& a) { FillCheck(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::Withdraw(Ctx* ctx, const v1::WithdrawRequest* req,
                                                       v1::CheckResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/Withdraw", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "withdraw",
               {{"application_id", req->application_id()}, {"reason", req->reason()}},
               req->request_id(), Answer(r, [resp](const json& a) { FillCheck(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::FileObjection(Ctx* ctx,
                                                            const v1::FileObjectionRequest* req,
                                                            v1::Objection* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/FileObjection", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rec_.Command(*caller, req->campaign_id(), "objection",
               {{"application_id", req->application_id()}, {"text", req->text()}},
               req->request_id(),
               Answer(r, [this, resp, campaign = req->campaign_id()](const json& a)
                             -> absl::Status {
                 ASSIGN_OR_RETURN(auto o,
                                  rec_.Objection(campaign, a["objection_id"].get<int64_t>()));
                 ToProto(o, resp);
                 return absl::OkStatus();
               }));
  return r;
}

grpc::ServerUnaryReactor* RecruitmentService::DecideObjection(
    Ctx* ctx, const v1::DecideObjectionRequest* req, v1::Objection* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Recruitment/DecideObjection", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto objection = rec_.Objection(req->campaign_id(), req->objection_id());
  if (!objection.ok()) return Refuse(ctx, objection.status());
  auto* r = ctx->DefaultReactor();
  CompleteStep(r, *caller, objection->instance_id, "investigate",
               absl::StrCat("objection ", req->objection_id()),
               req->upheld() ? "upheld" : "dismissed", {{"comment", req->reason()}},
               req->reason(), req->request_id(),
               [this, resp, campaign = req->campaign_id(), id = req->objection_id()](
                   const json& vars) -> absl::Status {
                 ASSIGN_OR_RETURN(auto o, rec_.Objection(campaign, id));
                 ToProto(o, resp);
                 resp->set_promoted_id(Int(vars, "promoted_id"));
                 return absl::OkStatus();
               });
  return r;
}

}  // namespace shequ::modules::recruitment
